/**
 * Face detection with MediaPipe's BlazeFace models, converted from @mediapipe/face_detection's .tflite
 * files to ONNX at build time (blazeface-convert.ts, scripts/convert-blazeface.js) and shipped in models/.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeDetections, Detection, weightedNms } from './blazeface-decode';
import { implausibleFace } from './face-quality';
import { DecodedImage, letterboxTensor, Letterbox, preloadDecoder, warmLetterbox } from '../image/image';
import { duringStart, usesWorkers } from '../runtime/inference-pool';
import { acquireSession, BackendInfo, BackendName, BackendRequest, ModelSession, SharedSession } from '../runtime/onnx-backend';
import { Anchor, generateAnchors, SsdAnchorOptions } from './ssd-anchors';
import { readModelFile } from '../runtime/model-file';
import { MODELS_DIR } from '../classification/model-manifest';

export type DetectorModel = 'short' | 'full';

interface BlazeFaceSpec {
  file: string;
  inputSize: number;
  anchors: SsdAnchorOptions;
}

const SHARED_ANCHOR = { minScale: 0.1484375, maxScale: 0.75, anchorOffset: 0.5, aspectRatios: [1.0] };

export const BLAZEFACE: Record<DetectorModel, BlazeFaceSpec> = {
  short: {
    file: 'face_detection_short_range.tflite',
    inputSize: 128,
    anchors: { ...SHARED_ANCHOR, inputSize: 128, numLayers: 4, strides: [8, 16, 16, 16], interpolatedScaleAspectRatio: 1.0 },
  },
  full: {
    file: 'face_detection_full_range.tflite',
    inputSize: 192,
    anchors: { ...SHARED_ANCHOR, inputSize: 192, numLayers: 1, strides: [4], interpolatedScaleAspectRatio: 0.0 },
  },
};

/** A detected face, in original-image pixels. */
export interface Face {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  keypoints: { name: string; x: number; y: number }[];
}

export interface DetectorOptions {
  model?: DetectorModel;
  /** Minimum detection score, 0..1 (default 0.5, MediaPipe's). */
  minScore?: number;
  /** Drop faces narrower than this many pixels in the original image (default 0). */
  minFaceSize?: number;
  /** IoU above which overlapping detections merge (default 0.3, MediaPipe's). */
  iouThreshold?: number;
  /** At most this many faces, best first (default 20). */
  maxFaces?: number;
  /** Drop detections whose landmarks are not where a face's are (face-quality.ts; default true). */
  checkLandmarks?: boolean;
  /** auto (default), native or wasm: see onnx-backend's requestedBackend. */
  runtime?: BackendRequest;
  threads?: number;
  /** Where blazeface.json and the converted graphs are (default: the package's models/). */
  modelDir?: string;
}

/** What models/blazeface.json says about each converted graph (scripts/convert-blazeface.js writes it). */
export interface BlazeFaceGraph {
  file: string;
  sha256: string;
  inputName: string;
  /** [1, C, H, W] as the ONNX graph takes it. */
  inputShape: number[];
  outputNames: string[];
  outputShapes: number[][];
}

const indexes = new Map<string, Promise<Partial<Record<DetectorModel, BlazeFaceGraph>>>>();

/** models/blazeface.json (scripts/convert-blazeface.js writes it): each converted graph's file, sha256, names
 *  and shapes; read once per process and folder. */
export function readBlazeFaceIndex(model: DetectorModel, modelDir = MODELS_DIR): Promise<BlazeFaceGraph> {
  const index = path.join(modelDir, 'blazeface.json');
  let p = indexes.get(index);
  if (!p) {
    // Read synchronously (1 KB): a process's first asynchronous read starts libuv's threads first, which put
    // off the inference workers' start, the longest step of a cold start, by ~5 ms.
    p = new Promise<string>((resolve) => resolve(readFileSync(index, 'utf8'))).then(
      (text) => JSON.parse(text) as Partial<Record<DetectorModel, BlazeFaceGraph>>,
      (err: unknown) => {
        throw new Error(`cannot read the BlazeFace model index ${index}: ${(err as Error).message}`, { cause: err });
      },
    );
    indexes.set(index, p);
    p.catch(() => indexes.delete(index));
  }
  return p.then((all) => {
    const graph = all[model];
    if (!graph) throw new Error(`the BlazeFace model index ${index} has no "${model}" model`);
    return graph;
  });
}

/**
 * Reads a BlazeFace graph converted at build time from MediaPipe's .tflite (models/blazeface-*.onnx, with
 * Google's Apache-2.0 notice in models/BLAZEFACE-NOTICE), checking its sha256. A detector does not need this:
 * its session reads the file where it opens (in a worker), or not at all when the optimised-model cache has it.
 */
export async function loadBlazeFace(model: DetectorModel, modelDir = MODELS_DIR): Promise<BlazeFaceGraph & { bytes: Uint8Array }> {
  const spec = await readBlazeFaceIndex(model, modelDir);
  return { ...spec, bytes: await readModelFile({ path: path.join(modelDir, spec.file), sha256: spec.sha256 }) };
}

type DetectorSettings = Required<Omit<DetectorOptions, 'modelDir' | 'threads' | 'model' | 'runtime'>>;

/** What a worker needs to run a detector on its own copy of the session (frame-task.ts). */
export interface DetectorTaskSpec {
  graph: BlazeFaceGraph;
  model: DetectorModel;
  opts: DetectorSettings;
}

/** Input tensors kept for reuse: one per frame a detector has in flight at once, as many as make sense. */
const MAX_SPARE_INPUTS = 4;

export class FaceDetector {
  private readonly spareInputs: Float32Array[] = [];

  private constructor(
    private readonly shared: SharedSession,
    private readonly graph: BlazeFaceGraph,
    private readonly anchors: Anchor[],
    readonly model: DetectorModel,
    private readonly opts: DetectorSettings,
  ) {}

  /** This detector on another session of the same graph (a worker's, for frame-task.ts). */
  static bind(shared: SharedSession, spec: DetectorTaskSpec): FaceDetector {
    return new FaceDetector(shared, spec.graph, generateAnchors(BLAZEFACE[spec.model].anchors), spec.model, spec.opts);
  }

  /** The session and settings a worker needs to run this detector itself (frame-task.ts). */
  get task(): { session: ModelSession; spec: DetectorTaskSpec } {
    return { session: this.shared.session, spec: { graph: this.graph, model: this.model, opts: this.opts } };
  }

  static async create(opts: DetectorOptions = {}): Promise<FaceDetector> {
    const model = opts.model ?? 'full';
    if (!(model in BLAZEFACE)) throw new Error(`unknown detector model "${model}" (short or full)`);
    const spec = BLAZEFACE[model];
    const modelDir = opts.modelDir ?? MODELS_DIR;
    const graph = await readBlazeFaceIndex(model, modelDir);
    // The file, not its bytes: the thread that opens the session reads and checks it (the main thread neither
    // hashes nor clones 2 MB to each worker), or opens the optimised-model cache's copy without reading it.
    const file = path.join(modelDir, graph.file);
    const opening = acquireSession(`blazeface:${file}`, () => Promise.resolve({ path: file, sha256: graph.sha256 }), {
      threads: opts.threads,
      runtime: opts.runtime,
      name: path.basename(graph.file, '.onnx'),
    });
    setImmediate(preloadDecoder); // while the sessions open (in workers: on other cores)
    if (usesWorkers()) duringStart(() => warmLetterbox(spec.inputSize)); // the first frame's is made here (pipeline.ts)
    const shared = await opening;
    const anchors = generateAnchors(spec.anchors);
    if (anchors.length !== graph.outputShapes[0][1]) {
      await shared.release();
      throw new Error(`BlazeFace ${model}: ${anchors.length} anchors but the model has ${graph.outputShapes[0][1]} boxes`);
    }
    return new FaceDetector(shared, graph, anchors, model, {
      minScore: opts.minScore ?? 0.5,
      minFaceSize: opts.minFaceSize ?? 0,
      iouThreshold: opts.iouThreshold ?? 0.3,
      maxFaces: opts.maxFaces ?? 20,
      checkLandmarks: opts.checkLandmarks ?? true,
    });
  }

  get backend(): BackendName {
    return this.shared.backend.name;
  }

  /** The runtime and, when it is the fallback, why. */
  get backendInfo(): BackendInfo {
    return this.shared.backend;
  }

  get inputSize(): number {
    return BLAZEFACE[this.model].inputSize;
  }

  /** Finds faces in a decoded frame; boxes and keypoints come back in the frame's pixels. */
  async detect(img: DecodedImage): Promise<Face[]> {
    const size = this.inputSize;
    const { tensor, box } = letterboxTensor(img, size, this.spareInputs.pop());
    let out;
    try {
      out = await this.shared.session.run({ [this.graph.inputName]: { data: tensor, dims: this.graph.inputShape } });
    } finally {
      // The run is over with its input: the next frame's letterbox writes into it rather than a new 442 KB.
      if (this.spareInputs.length < MAX_SPARE_INPUTS) this.spareInputs.push(tensor);
    }
    // Outputs: [1, N, 16] box regressors and [1, N, 1] score logits; tell them apart by shape.
    const [a, b] = this.graph.outputNames;
    const [reg, cls] = this.graph.outputShapes[0][2] === 16 ? [a, b] : [b, a];
    const dets = decodeDetections(out[reg].data, out[cls].data, this.anchors, size, this.opts.minScore);
    const faces = weightedNms(dets, this.opts.iouThreshold)
      .map((d) => toImagePixels(d, box, img))
      .filter((f) => f.box.width >= this.opts.minFaceSize && f.box.width > 0 && f.box.height > 0)
      .filter((f) => !this.opts.checkLandmarks || implausibleFace(f) === undefined);
    return faces.slice(0, this.opts.maxFaces);
  }

  release(): Promise<void> {
    return this.shared.release();
  }
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Maps a detection from the letterboxed square back to the original image, clipped to it. */
function toImagePixels(d: Detection, lb: Letterbox, img: DecodedImage): Face {
  const sx = img.width / lb.innerWidth;
  const sy = img.height / lb.innerHeight;
  const px = (x: number) => (x * lb.size - lb.padX) * sx;
  const py = (y: number) => (y * lb.size - lb.padY) * sy;
  const x0 = Math.max(0, px(d.box.x));
  const y0 = Math.max(0, py(d.box.y));
  const x1 = Math.min(img.width, px(d.box.x + d.box.width));
  const y1 = Math.min(img.height, py(d.box.y + d.box.height));
  return {
    box: { x: round2(x0), y: round2(y0), width: round2(x1 - x0), height: round2(y1 - y0) },
    score: Math.round(d.score * 10000) / 10000,
    keypoints: d.keypoints.map((k) => ({ name: k.name, x: round2(px(k.x)), y: round2(py(k.y)) })),
  };
}
