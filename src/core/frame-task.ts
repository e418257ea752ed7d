/**
 * The worker's side of a frame's job (pipeline.ts posts it with the decoded frame): detect and classify in
 * the inference worker, on the sessions it already holds, with the same code the calling thread would run.
 * One trip per frame instead of one per model; the letterbox, the boxes and the crops off Node-RED's thread.
 */
import { ClassifierTaskSpec, ExpressionClassifier } from './classification/expression-classifier';
import { DetectorTaskSpec, FaceDetector } from './detection/face-detector';
import { ClassifiedFace, FrameResult, runDecoded } from './pipeline';
import type { Face } from './detection/face-detector';
import type { BackendInfo, ModelSession } from './runtime/onnx-backend';

/** What pipeline.ts posts: the decoded frame (moved) and what the worker needs to run both models. */
export interface FrameTaskArgs {
  /** Packed RGB, 3 bytes a pixel. */
  image: { data: Uint8Array; width: number; height: number };
  detector: DetectorTaskSpec;
  /** Absent for detection alone. */
  classifier?: ClassifierTaskSpec;
}

/** A session the worker holds, by the pool's id. */
export interface HeldSession {
  id: number;
  session: ModelSession;
  backend: BackendInfo;
}

// The worker's detectors and classifiers, bound to its sessions once per session and settings.
const detectors = new Map<string, FaceDetector>();
const classifiers = new Map<string, ExpressionClassifier>();

const shared = (h: HeldSession) => ({ session: h.session, backend: h.backend, release: () => Promise.resolve() });

function detectorFor(h: HeldSession, spec: DetectorTaskSpec): FaceDetector {
  const key = `${h.id}|${spec.model}|${JSON.stringify(spec.opts)}`;
  let d = detectors.get(key);
  if (!d) detectors.set(key, (d = FaceDetector.bind(shared(h), spec)));
  return d;
}

function classifierFor(h: HeldSession, spec: ClassifierTaskSpec): ExpressionClassifier {
  const key = `${h.id}|${spec.views}|${spec.levelBeyond}`;
  let c = classifiers.get(key);
  if (!c) classifiers.set(key, (c = ExpressionClassifier.bind(shared(h), spec)));
  return c;
}

/** Runs a frame task on the held sessions: [detector] or [detector, classifier]. */
export async function runFrameTask(args: unknown, held: HeldSession[]): Promise<FrameResult<Face | ClassifiedFace>> {
  const { image, ...a } = args as FrameTaskArgs;
  const img = {
    data: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength),
    width: image.width,
    height: image.height,
  };
  const detector = detectorFor(held[0], a.detector);
  const classifier = a.classifier && held[1] ? classifierFor(held[1], a.classifier) : undefined;
  return runDecoded(detector, classifier, img, 0); // decoded in the calling thread, which times it
}

/** Drops what was bound to a session the worker closes. */
export function forgetFrameTaskSession(id: number): void {
  for (const map of [detectors, classifiers] as Map<string, unknown>[]) {
    for (const key of map.keys()) if (key.startsWith(`${id}|`)) map.delete(key);
  }
}
