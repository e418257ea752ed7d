/**
 * The body of an inference worker (inference-pool.ts): holds sessions by id and runs them, answering each
 * request with its outputs (transferred) or its error; and runs whole tasks on them (frame-task.ts: a
 * frame decoded, its faces found and classified here, so the calling thread only posts the JPEG).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BackendInfo, createLocalSession, getBackend, ModelSession, TensorData } from './onnx-backend';
import type { Reply, Request } from './inference-pool';
import type * as FrameTask from '../frame-task';
import { withinGate } from './exit-gate';
import { NativeRuntimeVerdict, seedNativeCheck } from './native-runtime-check';

const port = parentPort;
if (!port) throw new Error('inference-worker.js runs as a worker thread of the inference pool');

const sessions = new Map<number, ModelSession & { release(): Promise<void> }>();
const backends = new Map<number, BackendInfo>();

const data = workerData as { backend?: string; exitGate?: SharedArrayBuffer; nativeCheck?: NativeRuntimeVerdict | 'pending' } | undefined;
// Requests are counted while they are handled, so that a process exiting waits for any inside onnxruntime.
const gate = data?.exitGate ? new Int32Array(data.exitGate) : undefined;

// The pool checks the native runtime once for all its workers (native-runtime-check.ts): its verdict is in
// workerData, or follows as the first message; nothing loads a runtime here before it is known.
let verdictKnown: () => void = () => undefined;
const nativeChecked = data?.nativeCheck === 'pending' ? new Promise<void>((resolve) => (verdictKnown = resolve)) : Promise.resolve();
if (data?.nativeCheck && data.nativeCheck !== 'pending') seedNativeCheck(data.nativeCheck);

// Load the runtime now, while the main thread is still reading the models (open reports any failure).
const preload = data?.backend;
// Counted too: the native runtime's module set-up also aborts a process that exits under it.
if (preload === 'auto' || preload === 'native' || preload === 'wasm') {
  void nativeChecked.then(() => withinGate(gate, () => getBackend(preload)).catch(() => undefined));
}

// The frame-task code (the detector, the classifier, the pipeline: ~8 ms to load) is loaded at the first task:
// at start-up the first frame goes one run per model (pipeline.ts), so it is not on the way to the first result.
let frameTaskLoaded = false;
function frameTask(): typeof FrameTask {
  frameTaskLoaded = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at the first task (see above)
  return require('../frame-task') as typeof FrameTask;
}

async function handle(m: Exclude<Request, { op: 'native-verdict' }>): Promise<Reply> {
  switch (m.op) {
    case 'open': {
      const { session, backend } = await createLocalSession(m.source, m.backend, {
        threads: m.threads,
        constants: m.constants,
        name: m.name,
        // Counted from inside this request's own count: no moment with nothing counted while it runs.
        guard: (work) => withinGate(gate, work),
      });
      sessions.set(m.session, session);
      backends.set(m.session, backend);
      const { inputNames, outputNames, inputMetadata, outputMetadata } = session;
      return { req: m.req, ok: true, graph: { inputNames, outputNames, inputMetadata, outputMetadata }, backend };
    }
    case 'run': {
      const s = sessions.get(m.session);
      if (!s) throw new Error(`no session ${m.session} in this worker`);
      return { req: m.req, ok: true, outputs: await s.run(m.feeds) };
    }
    case 'task': {
      const held = m.sessions.map((id) => {
        const session = sessions.get(id);
        if (!session) throw new Error(`no session ${id} in this worker`);
        return { id, session, backend: backends.get(id) as BackendInfo };
      });
      return { req: m.req, ok: true, result: await frameTask().runFrameTask(m.args, held) };
    }
    case 'close': {
      const s = sessions.get(m.session);
      sessions.delete(m.session);
      backends.delete(m.session);
      if (frameTaskLoaded) frameTask().forgetFrameTaskSession(m.session);
      await s?.release();
      return { req: m.req, ok: true };
    }
    case 'exit': {
      // Sessions released from JavaScript, between native calls: the thread can then end cleanly. Counted
      // in the gate like other requests, but out of it before the thread ends (a count left would hold an exit).
      await withinGate(gate, () => Promise.all([...sessions.values()].map((s) => s.release().catch(() => undefined)))).catch(
        () => undefined,
      );
      sessions.clear();
      process.exit(m.code);
    }
  }
}

port.on('message', (m: Request) => {
  if (m.op === 'native-verdict') {
    seedNativeCheck(m.verdict);
    verdictKnown();
    return;
  }
  const handled = m.op === 'exit' ? handle(m) : nativeChecked.then(() => withinGate(gate, () => handle(m)));
  handled.then(
    (reply) => {
      const transfer = reply.ok && reply.outputs ? ownBuffers(reply.outputs) : [];
      port.postMessage(reply, transfer);
    },
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ req: m.req, ok: false, error: { name: e.name, message: e.message } } satisfies Reply);
    },
  );
});

/** Output buffers to transfer: each once, and only when the tensor is all of its buffer. */
function ownBuffers(outputs: Record<string, TensorData>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(outputs)) {
    const b = t.data.buffer;
    if (!(b instanceof ArrayBuffer && t.data.byteOffset === 0 && t.data.byteLength === b.byteLength)) t.data = t.data.slice();
    seen.add(t.data.buffer as ArrayBuffer);
  }
  return [...seen];
}
