/**
 * The LightExNet expression classifier: crops faces as training framed them, batches every face of a
 * frame into one run, and returns per-face labels with probabilities.
 */
import type { Face } from '../detection/face-detector';
import { cropGrey, DecodedImage, Rect, warmCrop } from '../image/image';
import { duringStart, usesWorkers } from '../runtime/inference-pool';
import { checkManifestAgainstGraph, CropPolicy, ModelManifest, modelFileOf, readManifest } from './model-manifest';
import { acquireSession, BackendInfo, BackendName, BackendRequest, ModelSession, SharedSession } from '../runtime/onnx-backend';
import { resolveViewCount, viewGrids } from './test-time-views';
import { LEVEL_BEYOND_DEGREES, levellingDegrees } from './face-roll';

export interface Expression {
  expression: string;
  confidence: number;
  /** Every label's probability, in the manifest's label order. */
  probabilities: Record<string, number>;
}

export interface ClassifierOptions {
  /** A model name in models/ or a path to a manifest .json (default: the shipped LightExNet). */
  model?: string;
  /** auto (default), native or wasm: see onnx-backend's requestedBackend. */
  runtime?: BackendRequest;
  threads?: number;
  /**
   * Test-time views to average (1 = the crop, 2 = + mirror image, 6 = + small rotations; default: the
   * manifest's choice for the runtime, 2 natively and 1 on WASM for the shipped model). Each view costs one
   * more network pass per face.
   */
  views?: number;
  /**
   * Faces whose eye line tilts more than this many degrees are turned back to it before they are classified
   * (default 16, as far as FER2013's own faces tilt; Infinity: never). Needs the detector's eye landmarks and
   * a model with test-time views.
   */
  levelBeyond?: number;
}

/** The square crop around a detected face that frames it like the training images. */
export function faceCrop(box: Face['box'], policy: CropPolicy): Rect {
  const side = Math.max(box.width, box.height);
  const cx = box.x + box.width / 2 + policy.offsetX * side;
  const cy = box.y + box.height / 2 + policy.offsetY * side;
  const s = side * policy.scale;
  return { x: cx - s / 2, y: cy - s / 2, width: s, height: s };
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** What a worker needs to run a classifier on its own copy of the session (frame-task.ts). */
export interface ClassifierTaskSpec {
  manifest: ModelManifest;
  views: number;
  levelBeyond: number;
}

export class ExpressionClassifier {
  private constructor(
    private readonly shared: SharedSession,
    readonly manifest: ModelManifest,
    /** How many test-time views each face gets. */
    readonly views: number,
    /** Tilts beyond this many degrees are levelled (face-roll.ts). */
    readonly levelBeyond: number,
  ) {}

  /** This classifier on another session of the same graph and views (a worker's, for frame-task.ts). */
  static bind(shared: SharedSession, spec: ClassifierTaskSpec): ExpressionClassifier {
    return new ExpressionClassifier(shared, spec.manifest, spec.views, spec.levelBeyond);
  }

  /** The session and settings a worker needs to run this classifier itself (frame-task.ts). */
  get task(): { session: ModelSession; spec: ClassifierTaskSpec } {
    return { session: this.shared.session, spec: { manifest: this.manifest, views: this.views, levelBeyond: this.levelBeyond } };
  }

  static async create(opts: ClassifierOptions = {}): Promise<ExpressionClassifier> {
    const levelBeyond = opts.levelBeyond ?? LEVEL_BEYOND_DEGREES;
    if (typeof levelBeyond !== 'number' || Number.isNaN(levelBeyond) || levelBeyond < 0) {
      throw new RangeError(`levelBeyond must be a number of degrees >= 0 (or Infinity), not ${String(opts.levelBeyond)}`);
    }
    const { manifest, path: file } = await readManifest(opts.model);
    const spec = manifest.views;
    if (!spec && opts.views !== undefined && opts.views > 1) {
      throw new RangeError(`model ${manifest.name} takes no test-time views input, so views (${opts.views}) does not apply to it`);
    }
    const open = async (views: number) => {
      // The views' sampling grids are the same for every batch: given to the session once, as a constant. Made
      // once the inference workers have started (the first call of viewGrids takes ~7 ms).
      const constants = () =>
        spec ? { [spec.input]: { data: viewGrids(spec.list.slice(0, views), spec.size), dims: [views, spec.size, spec.size, 2] } } : {};
      const shared = await acquireSession(`classifier:${file}|views=${views}`, () => Promise.resolve(modelFileOf(manifest, file)), {
        threads: opts.threads,
        runtime: opts.runtime,
        constants,
      });
      try {
        checkManifestAgainstGraph(manifest, shared.session, file);
      } catch (err) {
        await shared.release();
        throw err;
      }
      return shared;
    };
    let views = spec ? resolveViewCount(spec, opts.views) : 1;
    const opening = open(views);
    if (usesWorkers()) duringStart(() => warmCrop(manifest.input.width)); // the first frame's crops are made here (pipeline.ts)
    let shared = await opening;
    // The runtime is known once a session exists; on WASM the manifest may default to fewer views.
    const wasmViews = spec ? resolveViewCount(spec, opts.views, shared.backend.name) : 1;
    if (wasmViews !== views) {
      await shared.release();
      views = wasmViews;
      shared = await open(views);
    }
    return new ExpressionClassifier(shared, manifest, views, levelBeyond);
  }

  get backend(): BackendName {
    return this.shared.backend.name;
  }

  /** The runtime and, when it is the fallback, why. */
  get backendInfo(): BackendInfo {
    return this.shared.backend;
  }

  get labels(): string[] {
    return this.manifest.labels;
  }

  /**
   * Classifies grey crops already at the model's input size (row-major bytes, one per pixel). `degrees`, per
   * crop, turns its views by that much (levelling, face-roll.ts): crops with 0 go in one run, the others
   * each in a run of their own with its own sampling grids.
   */
  async classifyCrops(crops: Uint8Array[], degrees?: number[]): Promise<Expression[]> {
    if (crops.length === 0) return [];
    const { width, height } = this.manifest.input;
    crops.forEach((crop, i) => {
      if (crop.length !== width * height) throw new Error(`crop ${i} has ${crop.length} pixels, expected ${width}x${height}`);
    });
    if (degrees && (degrees.length !== crops.length || !degrees.every((d) => typeof d === 'number' && Number.isFinite(d)))) {
      throw new RangeError(`degrees must give a finite number for each of the ${crops.length} crops`);
    }
    const spec = this.manifest.views;
    const angle = (i: number) => (spec && degrees ? degrees[i] : 0);
    const straight = crops.map((_, i) => i).filter((i) => angle(i) === 0);
    const results: Expression[] = new Array<Expression>(crops.length);
    if (straight.length > 0) (await this.run(straight.map((i) => crops[i]))).forEach((r, j) => (results[straight[j]] = r));
    for (let i = 0; i < crops.length; i++) {
      if (!spec || angle(i) === 0) continue;
      const views = spec.list.slice(0, this.views).map((v) => ({ ...v, angle: v.angle + angle(i) }));
      const grid = { data: viewGrids(views, spec.size), dims: [views.length, spec.size, spec.size, 2] };
      results[i] = (await this.run([crops[i]], { [spec.input]: grid }))[0];
    }
    return results;
  }

  /** One run of the network over a batch of crops (`extra` replaces the session's constant inputs). */
  private async run(crops: Uint8Array[], extra: Record<string, { data: Float32Array; dims: number[] }> = {}): Promise<Expression[]> {
    const { width, height, channels, name } = this.manifest.input;
    const plane = width * height;
    const { mean, std } = this.manifest.normalization;
    const data = new Float32Array(crops.length * channels * plane);
    crops.forEach((crop, i) => {
      for (let c = 0; c < channels; c++) {
        const base = (i * channels + c) * plane;
        for (let p = 0; p < plane; p++) data[base + p] = (crop[p] / 255 - mean) / std;
      }
    });
    const out = await this.shared.session.run({ [name]: { data, dims: [crops.length, channels, height, width] }, ...extra });
    const scores = out[this.manifest.output.name].data;
    const k = this.labels.length;
    return crops.map((_, i) => {
      const row = scores.subarray(i * k, (i + 1) * k);
      const probs = this.manifest.output.kind === 'logits' ? softmax(row) : Array.from(row);
      let best = 0;
      for (let j = 1; j < k; j++) if (probs[j] > probs[best]) best = j;
      const probabilities: Record<string, number> = {};
      this.labels.forEach((l, j) => (probabilities[l] = Math.round(probs[j] * 10000) / 10000));
      return { expression: this.labels[best], confidence: probabilities[this.labels[best]], probabilities };
    });
  }

  /** Crops each face from the frame (as training framed faces), levels those tilted beyond `levelBeyond`,
   *  and classifies them (the upright ones in one run). */
  async classifyFaces<F extends Pick<Face, 'box'> & Partial<Pick<Face, 'keypoints'>>>(
    img: DecodedImage,
    faces: F[],
  ): Promise<(F & Expression)[]> {
    const size = this.manifest.input.width;
    const crops = faces.map((f) => cropGrey(img, faceCrop(f.box, this.manifest.crop), size));
    const degrees = faces.map((f) => levellingDegrees(f, this.levelBeyond));
    const results = await this.classifyCrops(crops, degrees);
    return faces.map((f, i) => ({ ...f, ...results[i] }));
  }

  /** Treats the whole frame as one face crop (for pre-cropped input). */
  async classifyWhole(img: DecodedImage): Promise<Expression> {
    const size = this.manifest.input.width;
    const crop = cropGrey(img, { x: 0, y: 0, width: img.width, height: img.height }, size);
    return (await this.classifyCrops([crop]))[0];
  }

  release(): Promise<void> {
    return this.shared.release();
  }
}
