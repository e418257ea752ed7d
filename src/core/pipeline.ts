/**
 * Detect + classify on one frame, decoding it once. Used by the CLI; the nodes compose the same parts
 * across messages.
 */
import { ExpressionClassifier, Expression } from './classification/expression-classifier';
import { Face, FaceDetector } from './detection/face-detector';
import { decodeImage, DecodeOptions } from './image/image';

export type ClassifiedFace = Face & Expression;

export interface FrameResult<F> {
  faces: F[];
  width: number;
  height: number;
  /** Milliseconds spent, for status and benchmarks. */
  ms: { decode: number; detect: number; classify?: number };
}

export async function detectFrame(detector: FaceDetector, input: unknown, opts?: DecodeOptions): Promise<FrameResult<Face>> {
  const t0 = performance.now();
  const img = await decodeImage(input, opts);
  const t1 = performance.now();
  const faces = await detector.detect(img);
  const t2 = performance.now();
  return { faces, width: img.width, height: img.height, ms: { decode: t1 - t0, detect: t2 - t1 } };
}

export async function classifyFrame(
  detector: FaceDetector,
  classifier: ExpressionClassifier,
  input: unknown,
  opts?: DecodeOptions,
): Promise<FrameResult<ClassifiedFace>> {
  const t0 = performance.now();
  const img = await decodeImage(input, opts);
  const t1 = performance.now();
  const faces = await detector.detect(img);
  const t2 = performance.now();
  const classified = await classifier.classifyFaces(img, faces);
  const t3 = performance.now();
  return { faces: classified, width: img.width, height: img.height, ms: { decode: t1 - t0, detect: t2 - t1, classify: t3 - t2 } };
}
