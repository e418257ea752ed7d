/**
 * What the inference nodes share: load a model once (async), run each message through a busy gate,
 * report through status, and send every error to done(err) so Catch nodes see it.
 */
import { AnnotatedFace, annotateJpeg, toAnnotations } from '../core/image/annotate';
import { BUSY_POLICIES, BusyGate, BusyPolicy } from '../core/runtime/busy-gate';
import { framesInFlight } from '../core/runtime/inference-pool';
import { FACE_DETECT_DEFAULTS } from './defaults';
import type { DecodedImage } from '../core/image/image';
import { DoneFn, Node, NodeDef, NodeMessage, SendFn } from './node-red-types';

export interface InferenceConfig {
  busy: BusyPolicy;
  queueSize: number;
  /** Frames in flight at once (framesInFlight(): one per inference worker plus two decoding; results stay in order). */
  concurrency: number;
}

/** The longest queue a node may be given: each waiting frame holds its decoded message in memory. */
export const MAX_QUEUE = 100;

export function readInferenceConfig(def: NodeDef): InferenceConfig {
  // lightexnet-face-detect's and lightexnet-classify's defaults agree on these (defaults.ts).
  const d = FACE_DETECT_DEFAULTS;
  const busy = typeof def.busy === 'string' && BUSY_POLICIES.includes(def.busy as BusyPolicy) ? (def.busy as BusyPolicy) : d.busy;
  return {
    busy,
    queueSize: Math.min(positiveInt(def.queueSize, d.queueSize), MAX_QUEUE), // frames held in memory: bounded
    concurrency: framesInFlight(),
  };
}

export function positiveInt(v: unknown, dflt: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : dflt;
}

export function numberIn(v: unknown, dflt: number, min: number, max: number): number {
  const n = Number(v);
  return v === '' || v === undefined || v === null || !Number.isFinite(n) ? dflt : Math.min(max, Math.max(min, n));
}

interface Job {
  msg: NodeMessage;
  send: SendFn;
  done: DoneFn;
}

export interface Releasable {
  release(): Promise<void>;
  backend: string;
  backendInfo?: { fallbackReason?: string; cacheProblem?: string };
}

/** The result of one message: what the status line should say. */
export interface Outcome {
  faces: number;
  ms: number;
  /** Something the user should know that did not stop the result (node.warn). */
  warning?: string;
}

/**
 * Wires `node` up: `load` makes the models (once), `handle` processes one message and sends it.
 */
export function setupInferenceNode<M extends Releasable[]>(
  node: Node,
  config: InferenceConfig,
  load: () => Promise<M>,
  handle: (models: M, msg: NodeMessage, send: SendFn) => Promise<Outcome>,
): void {
  let models: M | undefined;
  let closed = false;
  let lastText = '';
  node.status({ fill: 'yellow', shape: 'ring', text: 'loading model…' });
  const loading = load().then(
    (m) => {
      models = m;
      if (!closed) {
        node.status({ fill: 'green', shape: 'dot', text: `ready (${m[0]?.backend ?? 'cpu'})` });
        // The WASM runtime is several times slower: say why it runs, once, in the log.
        const reason = m.map((x) => x.backendInfo?.fallbackReason).find(Boolean);
        if (reason) node.warn(`running on the WASM runtime: ${reason}`);
        // Later starts would open the models faster from the cache (LIGHTEXNET_CACHE_DIR); say why they will not.
        const cache = m.map((x) => x.backendInfo?.cacheProblem).find(Boolean);
        if (cache) node.warn(`optimised-model cache not used: ${cache}`);
      }
      return m;
    },
    (reason: unknown) => {
      const err = reason instanceof Error ? reason : new Error(String(reason));
      node.status({ fill: 'red', shape: 'ring', text: `model not loaded: ${short(err.message)}` });
      node.error(`model not loaded: ${err.message}`);
      throw err;
    },
  );
  loading.catch(() => undefined); // reported above and to each message below

  const gate = new BusyGate<Job>({ policy: config.busy, queueSize: config.queueSize, concurrency: config.concurrency });
  // Frames run side by side (one per worker) but leave in the order they came: each job sends only after
  // the one before it has sent (or failed).
  let previous: Promise<void> = Promise.resolve();
  const showDropped = () => {
    if (gate.dropped > 0) node.status({ fill: 'blue', shape: 'ring', text: `${lastText || 'busy'} · ${gate.dropped} dropped` });
  };

  node.on('input', (msg, send, done) => {
    gate.push({
      value: { msg, send, done },
      onDrop: (job) => {
        job.done(); // a dropped frame is complete, not an error
        showDropped();
      },
      run: async (job) => {
        const before = previous;
        let finished: () => void = () => undefined;
        previous = new Promise<void>((r) => (finished = r));
        try {
          const m = await loading.catch((err: unknown) => {
            throw new Error(`model not loaded: ${err instanceof Error ? err.message : String(err)}`);
          });
          const out: Parameters<SendFn>[0][] = [];
          const result = await handle(m, job.msg, (msg) => out.push(msg));
          await before;
          for (const msg of out) job.send(msg);
          if (result.warning) node.warn(result.warning);
          lastText = `${result.faces} face${result.faces === 1 ? '' : 's'} · ${Math.round(result.ms)} ms`;
          node.status({
            fill: 'blue',
            shape: 'dot',
            text: gate.dropped ? `${lastText} · ${gate.dropped} dropped` : lastText,
          });
          job.done();
        } catch (err) {
          await before;
          const e = err instanceof Error ? err : new Error(String(err));
          node.status({ fill: 'red', shape: 'ring', text: short(e.message) });
          job.done(e);
        } finally {
          finished();
        }
      },
    });
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    closed = true;
    gate.close();
    // A frame still in flight finishes first: releasing its sessions under it would fail it with
    // "Session already disposed" after the node has gone (every redeploy while a camera streams). Models
    // still loading finish first too, then are released: Node-RED's stop exits the process once every node
    // is done, and onnxruntime-node aborts a process that exits while a worker thread opens a session.
    const release = Promise.all([gate.idle(), loading.catch(() => undefined)]).then(() =>
      models ? Promise.all(models.map((x) => x.release())) : undefined,
    );
    release.then(
      () => {
        node.status({});
        done();
      },
      () => done(),
    );
  });
}

const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/**
 * Puts a frame's results on the message the way both inference nodes do: faces in msg.payload, the frame
 * in msg.image, sizes and timing, and (when asked) the annotated JPEG and annotate-image annotations.
 */
export async function setFrameResult(
  msg: NodeMessage,
  frame: unknown,
  img: DecodedImage,
  faces: AnnotatedFace[],
  ms: number,
  annotate: boolean,
): Promise<string | undefined> {
  msg.image = frame;
  msg.payload = faces;
  msg.imageSize = { width: img.width, height: img.height };
  msg.faceCount = faces.length;
  msg.inferenceMs = Math.round(ms * 10) / 10;
  if (!annotate) return undefined;
  msg.annotations = toAnnotations(faces);
  try {
    msg.annotated = await annotateJpeg(img, faces);
  } catch (err) {
    // The result stands without its picture (e.g. a 100000x1 frame is past JPEG's 65535 px limit).
    const why = (err as Error).message;
    msg.annotationError = why;
    return `annotated image not made: ${why}`;
  }
  return undefined;
}
