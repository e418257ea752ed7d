/**
 * Detect (+ classify) on one frame, decoding it once. Used by the CLI and the MQTT workers; the nodes
 * compose the same parts across messages. When both models run in the same inference pool, the decoded
 * frame goes to one worker, which finds and classifies its faces in one trip (frame-task.ts); otherwise
 * each model's run is a trip of its own.
 */
import { ExpressionClassifier, Expression } from './classification/expression-classifier';
import { Face, FaceDetector } from './detection/face-detector';
import { DecodedImage, decodeImage, DecodeOptions, isMovable } from './image/image';
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
  return runDecoded(detector, classifier, img, performance.now() - t0);
}

/** Detect (+ classify) a decoded frame: here, or in the worker a frame task went to (frame-task.ts). */
export async function runDecoded(
  detector: FaceDetector,
  classifier: ExpressionClassifier | undefined,
  img: DecodedImage,
  decodeMs: number,
): Promise<FrameResult<Face | ClassifiedFace>> {
  const t1 = performance.now();
  const faces = await detector.detect(img);
  const t2 = performance.now();
  const size = { width: img.width, height: img.height };
  if (!classifier) return { faces, ...size, ms: { decode: decodeMs, detect: t2 - t1 } };
  const classified = await classifier.classifyFaces(img, faces);
  return { faces: classified, ...size, ms: { decode: decodeMs, detect: t2 - t1, classify: performance.now() - t2 } };
}

/**
 * The frame decoded here (sharp works on libuv's threads, not this one) and the rest posted to one worker as
 * one task; undefined when the models do not share a pool (or run in this thread), while the pool is starting,
 * and while no worker has both open.
 * Decoding in the worker instead would save one thread wake-up and the frame's copy (~0.1 + 0.1 ms), but
 * sharp in a worker thread that is ended mid-job can take the whole process down (lovell/sharp#2263), and
 * the pool ends workers (a crash, a close); so sharp stays in this thread.
 */
function inWorker(
  detector: FaceDetector,
  classifier: ExpressionClassifier | undefined,
  input: unknown,
  opts?: DecodeOptions,
): Promise<FrameResult<Face | ClassifiedFace>> | undefined {
  const d = detector.task;
  const c = classifier?.task;
  const dp = pooledSession(d.session);
  const cp = c && pooledSession(c.session);
  if (!dp || (c && (!cp || cp.pool !== dp.pool))) return undefined;
  const sessions = cp ? [dp.id, cp.id] : [dp.id];
  // At start-up the frame goes one trip per model, its letterbox and crops made here (their code warmed while
  // the models opened: warmResampling) rather than in the one worker, whose first letterbox and crop (~20 ms,
  // the kernels' first run and memory) would add to the first result.
  if (dp.pool.startingUp || !dp.pool.holdsTogether(sessions)) return undefined;
  return (async () => {
    const t0 = performance.now();
    const img = await decodeImage(input, opts);
    const decode = performance.now() - t0;
    // sharp's output is memory libvips allocated, which Node 22 refuses to transfer ("Cannot transfer object
    // of unsupported type") and which must not be freed from another thread: a copy of V8's own moves instead.
    const data = isMovable(img)
      ? new Uint8Array(img.data.buffer as ArrayBuffer, img.data.byteOffset, img.data.byteLength)
      : new Uint8Array(img.data);
    const args: FrameTaskArgs = { image: { data, width: img.width, height: img.height }, detector: d.spec, classifier: c?.spec };
    const r = (await dp.pool.task('frame', sessions, args, [data.buffer])) as FrameResult<Face | ClassifiedFace>;
    return { ...r, ms: { ...r.ms, decode } };
  })();
}
