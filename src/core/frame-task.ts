/**
 * The worker's side of a frame's whole job (pipeline.ts posts it): decode, detect and classify in the
 * inference worker, on the sessions it already holds, with the same code the calling thread would run.
 * The calling thread then only posts the encoded frame and gets the faces back: one trip instead of two,
 * no decoded frame or tensor crossing threads, and Node-RED's thread left free.
 */
import { ClassifierTaskSpec, ExpressionClassifier } from './classification/expression-classifier';
import { DetectorTaskSpec, FaceDetector } from './detection/face-detector';
import type { DecodeOptions } from './image/image';
import { runFrameHere } from './pipeline';
import type { BackendInfo, ModelSession } from './runtime/onnx-backend';

/** What pipeline.ts posts: the encoded frame (transferred) and what the worker needs to run both models. */
export interface FrameTaskArgs {
  input: Uint8Array;
  decode?: DecodeOptions;
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
  const key = `${h.id}|${spec.views}`;
  let c = classifiers.get(key);
  if (!c) classifiers.set(key, (c = ExpressionClassifier.bind(shared(h), spec)));
  return c;
}

/** Runs a frame task on the held sessions: [detector] or [detector, classifier]. */
export function runFrameTask(args: unknown, held: HeldSession[]): ReturnType<typeof runFrameHere> {
  const a = args as FrameTaskArgs;
  const detector = detectorFor(held[0], a.detector);
  const classifier = a.classifier && held[1] ? classifierFor(held[1], a.classifier) : undefined;
  return runFrameHere(detector, classifier, a.input, a.decode);
}

/** Drops what was bound to a session the worker closes. */
export function forgetFrameTaskSession(id: number): void {
  for (const map of [detectors, classifiers] as Map<string, unknown>[]) {
    for (const key of map.keys()) if (key.startsWith(`${id}|`)) map.delete(key);
  }
}
