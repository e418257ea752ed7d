/**
 * `lightexnet worker --broker URL`: a headless inference worker (src/core/distributed/frame-worker.ts) for a
 * server or a container. Runs until SIGINT/SIGTERM, then finishes the frames in hand and disconnects.
 */
import { ExpressionClassifier } from './core/classification/expression-classifier';
import { DetectorModel, FaceDetector } from './core/detection/face-detector';
import { DEFAULT_MAX_AGE_MS, FrameWorker } from './core/distributed/frame-worker';
import { DEFAULT_GROUP } from './core/distributed/frame-topics';
import { classifyFrame } from './core/pipeline';
import { framesInFlight } from './core/runtime/inference-pool';
import { warnIfCacheUnused } from './cache-notice';

export interface WorkerArgs {
  broker?: string;
  group?: string;
  slots?: string;
  maxAgeMs?: string;
  id?: string;
  model: DetectorModel;
  threads: number;
  views?: number;
  classifier?: string;
}

export async function workerCommand(a: WorkerArgs): Promise<number> {
  if (!a.broker) throw new Error('worker needs --broker URL (e.g. mqtt://127.0.0.1:1883)');
  const url = new URL(a.broker); // throws on a malformed URL, before any model is loaded
  // One frame per inference worker thread, plus two being decoded or waiting for their turn.
  const slots = a.slots === undefined ? framesInFlight() : Number(a.slots);
  if (!Number.isInteger(slots) || slots < 1) throw new Error(`--slots must be a whole number >= 1, not "${a.slots}"`);
  const maxAgeMs = a.maxAgeMs === undefined ? DEFAULT_MAX_AGE_MS : Number(a.maxAgeMs);
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) throw new Error(`--max-age-ms must be a positive number, not "${a.maxAgeMs}"`);
  const detector = await FaceDetector.create({ model: a.model, threads: a.threads });
  const classifier = await ExpressionClassifier.create({ model: a.classifier, threads: a.threads, views: a.views }).catch(
    async (e: unknown) => {
      await detector.release();
      throw e;
    },
  );
  warnIfCacheUnused(detector, classifier);
  const worker = await FrameWorker.start({
    url: url.toString(),
    group: a.group ?? DEFAULT_GROUP,
    workerId: a.id,
    slots,
    maxAgeMs,
    client: { username: decodeURIComponent(url.username) || undefined, password: decodeURIComponent(url.password) || undefined },
    infer: async (frame) => classifyFrame(detector, classifier, frame),
  });
  const log = (line: object) => console.log(JSON.stringify({ time: new Date().toISOString(), worker: worker.workerId, ...line }));
  worker.on('warning', (err: Error) => log({ warning: err.message }));
  log({
    started: true,
    broker: `${url.protocol}//${url.host}`,
    group: a.group ?? DEFAULT_GROUP,
    slots,
    maxAgeMs,
    backend: classifier.backend,
  });
  const timer = setInterval(() => log({ ...worker.stats, connected: worker.connected }), 10_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await worker.close();
  log({ stopped: true, ...worker.stats });
  await Promise.all([detector.release(), classifier.release()]);
  return 0;
}
