/**
 * Detect (+ classify) on one frame, decoding it once. Used by the CLI and the MQTT workers; the nodes
 * compose the same parts across messages. When both models run in the same inference pool and the frame
 * is encoded bytes, the whole job goes to one worker (frame-task.ts); otherwise it runs step by step here.
 */
import { ExpressionClassifier, Expression } from './classification/expression-classifier';
import { Face, FaceDetector } from './detection/face-detector';
import { decodeImage, DecodeOptions, ImageInputError } from './image/image';
import type { FrameTaskArgs } from './frame-task';
import { pooledSession } from './runtime/inference-pool';

export type ClassifiedFace = Face & Expression;

export interface FrameResult<F> {
  faces: F[];
  width: number;
  height: number;
  /** Milliseconds spent, for status and benchmarks. */
  ms: { decode: number; detect: number; classify?: number };
}

export function detectFrame(detector: FaceDetector, input: unknown, opts?: DecodeOptions): Promise<FrameResult<Face>> {
  return inWorker(detector, undefined, input, opts) ?? runFrameHere(detector, undefined, input, opts);
}

export function classifyFrame(
  detector: FaceDetector,
  classifier: ExpressionClassifier,
  input: unknown,
  opts?: DecodeOptions,
): Promise<FrameResult<ClassifiedFace>> {
  return (inWorker(detector, classifier, input, opts) ?? runFrameHere(detector, classifier, input, opts)) as Promise<
    FrameResult<ClassifiedFace>
  >;
}

/** The frame's job in this thread (the models' sessions may still run in workers, one trip each). */
export async function runFrameHere(
  detector: FaceDetector,
  classifier: ExpressionClassifier | undefined,
  input: unknown,
  opts?: DecodeOptions,
): Promise<FrameResult<Face | ClassifiedFace>> {
  const t0 = performance.now();
  const img = await decodeImage(input, opts);
  const t1 = performance.now();
  const faces = await detector.detect(img);
  const t2 = performance.now();
  if (!classifier) return { faces, width: img.width, height: img.height, ms: { decode: t1 - t0, detect: t2 - t1 } };
  const classified = await classifier.classifyFaces(img, faces);
  const t3 = performance.now();
  return { faces: classified, width: img.width, height: img.height, ms: { decode: t1 - t0, detect: t2 - t1, classify: t3 - t2 } };
}

/** The job posted to one worker, or undefined when it cannot go (models in this thread or in different
 *  pools, or input other than encoded bytes, which stays on the step-by-step path). */
function inWorker(
  detector: FaceDetector,
  classifier: ExpressionClassifier | undefined,
  input: unknown,
  opts?: DecodeOptions,
): Promise<FrameResult<Face | ClassifiedFace>> | undefined {
  if (!(input instanceof Uint8Array)) return undefined;
  const d = detector.task;
  const c = classifier?.task;
  const dp = pooledSession(d.session);
  const cp = c && pooledSession(c.session);
  if (!dp || (c && (!cp || cp.pool !== dp.pool))) return undefined;
  const bytes = new Uint8Array(input); // a copy of its own, moved to the worker (a Buffer is often a slice of a shared one)
  const args: FrameTaskArgs = { input: bytes, decode: opts, detector: d.spec, classifier: c?.spec };
  const sessions = cp ? [dp.id, cp.id] : [dp.id];
  return dp.pool.task('frame', sessions, args, [bytes.buffer]).then(
    (r) => r as FrameResult<Face | ClassifiedFace>,
    (err: unknown) => {
      // The worker's error comes back as name and message: give bad input its own class again.
      throw err instanceof Error && err.name === 'ImageInputError' ? new ImageInputError(err.message) : err;
    },
  );
}
