/**
 * The MQTT layout of distributed inference: cameras publish frames, a group of workers shares them (MQTT 5
 * shared subscription: the broker hands each frame to one member), results go back per camera.
 *
 *   lightexnet/frames/<camera>    binary JPEG/PNG; MQTT 5 user properties seq, capturedAt (ms since epoch)
 *   lightexnet/results/<camera>   JSON WorkerResult, QoS 1
 *   $share/lightexnet/lightexnet/frames/#   what the workers subscribe to
 */
export const FRAMES_PREFIX = 'lightexnet/frames/';
export const RESULTS_PREFIX = 'lightexnet/results/';
export const DEFAULT_GROUP = 'lightexnet';

/** One MQTT topic level: no separators or wildcards (and not empty), so camera ids cannot address other topics. */
export function checkCameraId(camera: string): string {
  if (!camera || /[/+#]/.test(camera) || camera.includes('\u0000') || camera.length > 128) {
    throw new Error(`camera id "${camera}" must be 1-128 characters without / + # (one MQTT topic level)`);
  }
  return camera;
}

export const frameTopic = (camera: string): string => FRAMES_PREFIX + checkCameraId(camera);
export const resultTopic = (camera: string): string => RESULTS_PREFIX + checkCameraId(camera);
export const sharedFramesTopic = (group = DEFAULT_GROUP): string => `$share/${checkCameraId(group)}/${FRAMES_PREFIX}#`;

/** The camera a frame or result topic belongs to (undefined for other topics). */
export function cameraOf(topic: string): string | undefined {
  for (const prefix of [FRAMES_PREFIX, RESULTS_PREFIX]) {
    if (topic.startsWith(prefix)) {
      const camera = topic.slice(prefix.length);
      return camera && !camera.includes('/') ? camera : undefined;
    }
  }
  return undefined;
}

/** What travels with a frame, as MQTT 5 user properties (strings). */
export interface FrameHeader {
  camera: string;
  /** Per camera, increasing by one per frame: results are put back in this order. */
  seq: number;
  /** When the camera took it, ms since the epoch: a worker skips frames older than its limit. */
  capturedAt: number;
}

export function headerProperties(h: Pick<FrameHeader, 'seq' | 'capturedAt'>): Record<string, string> {
  return { seq: String(h.seq), capturedAt: String(h.capturedAt) };
}

/** Reads a frame's header from its topic and user properties; throws on a frame without a usable one. */
export function parseFrameHeader(topic: string, userProperties: Record<string, string | string[]> | undefined): FrameHeader {
  const camera = cameraOf(topic);
  if (camera === undefined) throw new Error(`"${topic}" is not a frame topic (${FRAMES_PREFIX}<camera>)`);
  const prop = (k: string) => {
    const v = userProperties?.[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const seq = Number(prop('seq'));
  const capturedAt = Number(prop('capturedAt'));
  if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`frame on ${topic}: user property seq must be a whole number`);
  if (!Number.isFinite(capturedAt)) throw new Error(`frame on ${topic}: user property capturedAt must be ms since the epoch`);
  return { camera, seq, capturedAt };
}

/** A face as results carry it. */
export interface ResultFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  expression?: string;
  confidence?: number;
  probabilities?: Record<string, number>;
}

/** What a worker publishes for each frame it took: a result, or why there is none. */
export interface WorkerResult {
  camera: string;
  seq: number;
  capturedAt: number;
  worker: string;
  /** Set when the frame was not inferred: 'stale' (older than the worker's limit) or 'error'. */
  skipped?: 'stale' | 'error';
  error?: string;
  faces: ResultFace[];
  /** The largest face's expression (undefined without faces). */
  expression?: string;
  confidence?: number;
  width?: number;
  height?: number;
  /** Milliseconds: queued (capture to start) and inference. */
  timings: { queuedMs: number; inferenceMs: number };
}

export function isWorkerResult(v: unknown): v is WorkerResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<WorkerResult>;
  return typeof r.camera === 'string' && typeof r.seq === 'number' && Array.isArray(r.faces);
}
