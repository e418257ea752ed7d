/**
 * A small pool of worker threads that hold the ONNX Runtime sessions and run them, so that inference
 * never blocks the thread Node-RED runs every flow on, and frames in flight at once use every core.
 *
 * A process's first start goes on in the calling thread where the optimised-model cache has the models: they
 * open there and serve the first frame, and no worker starts before (see startingHere). Otherwise the pool
 * starts with one worker, which opens every model. Either way it grows to its size once the first frame is
 * answered (see firstUse), each worker opening every model, and the calling thread lets its copies go.
 * Each session is opened in every worker (a caller waits only for the first: the others open meanwhile);
 * a run goes to the worker, among those that have the session, with the fewest runs in flight. Feeds
 * and outputs cross as transferred buffers (no copy). A worker that dies fails its runs in flight with a
 * clear error and is replaced on the next run, which reopens the sessions in the new one. When the last
 * session closes, the workers end (nothing keeps a process alive after its models are released).
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createExitGate, guardExit } from './exit-gate';
import { checkNativeRuntime, nativePackageName, NativeRuntimeVerdict } from './native-runtime-check';
import type { BackendInfo, BackendRequest, LocalSession, ModelSession, ReadAhead, TensorData } from './onnx-backend';
import type { ModelSource } from './model-file';
import type { GraphSignature } from '../classification/model-manifest';

/** Workers a process uses: LIGHTEXNET_WORKERS (0 = run in the calling thread), else one a core, at most 4. */
export function poolSize(): number {
  const env = process.env.LIGHTEXNET_WORKERS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`LIGHTEXNET_WORKERS must be a whole number 0-64, not "${env}"`);
    return n;
  }
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Work for this thread while the pool's first worker starts, one piece at a time, each in its own turn of the
 * event loop: first loading the native runtime here (the pool queues it once the runtime has passed its check),
 * then what callers queue (the resampling warm-ups). The worker then finds the runtime's library loaded and its
 * environment made (~17 + 32 ms off the worker's path to the first result, done here on the core the worker
 * is not using).
 */
let startWork: Promise<void> = Promise.resolve();

/**
 * Whether a pool of this process has started before (grown after its first frame). Only the process's first
 * start opens models in the calling thread (InferencePool's `here`, startingHere): a flow's redeploy
 * restarts the pool, and each such copy left the thread's allocator ~10 MB bigger over 100 redeploys
 * (bench/soak.js), for a start that is not a cold one.
 */
let startedBefore = false;

/** The next pool start goes as the process's first (for tests, which start many pools in one process). */
export function startAsIfFirst(): void {
  startedBefore = false;
}

/**
 * Whether a pool's start goes on in this thread (InferencePool's startingHere): then no worker is booting, this
 * thread has no idle time for the warm-ups, and the first frame pays for its own letterbox and crops instead
 * (the first result sooner without them: docs/performance.md, session 26).
 */
let noIdleAtStart = false;

export function duringStart(work: () => void): void {
  startWork = startWork.then(() => (noIdleAtStart ? false : inATurnOfItsOwn(work))).then(() => undefined);
}

/** Runs `work` in a later turn of the event loop; its errors are its own (a warm-up's, a preload's): false. */
function inATurnOfItsOwn(work: () => void): Promise<boolean> {
  return new Promise((resolve) =>
    setImmediate(() => {
      try {
        work();
        resolve(true);
      } catch {
        resolve(false); // what it warms or loads reports its own errors when used
      }
    }),
  );
}

/**
 * Loads the native runtime in this thread and makes its environment (process-wide, once), for the worker to
 * find. Only after the runtime has passed its check in a child process: a runtime that crashes as it loads
 * would take this process down. Its failure here costs nothing: the worker loads it and reports.
 */
function loadRuntimeHere(packageName: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the native runtime, passed by its check
  require(packageName);
  // onnxruntime-node's own start of its environment, which its first session would otherwise do in the worker.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime package's binding module
  (require(`${packageName}/dist/binding.js`) as { initOrt?: () => void }).initOrt?.();
}

/** Whether models run in inference workers (false for LIGHTEXNET_WORKERS=0, or a value acquireSession refuses). */
export function usesWorkers(): boolean {
  try {
    return poolSize() > 0;
  } catch {
    return false;
  }
}

/**
 * Frames a stream should keep in flight: one per inference worker plus two being decoded or waiting, so
 * that a worker that finishes finds its next frame decoded even when the other has just taken one (on 2
 * cores, 1-face 640x480 frames: 166 frames/s against 157 with one spare; no change with 3 faces a frame).
 * In Node-RED's own thread (0 workers) one at a time: each run blocks the thread it shares with the flows.
 */
export function framesInFlight(): number {
  const workers = poolSize();
  return workers === 0 ? 1 : workers + 2;
}

/** Inputs given to every run of a session (the classifier's view grids). */
export type Constants = Record<string, TensorData>;

/** Constants given as they are, or made by the function given instead. */
export const constantsOf = (c: Constants | (() => Constants) | undefined): Constants => (typeof c === 'function' ? c() : (c ?? {}));

export interface OpenSpec {
  load: () => Promise<ModelSource>;
  backend: BackendRequest;
  threads: number;
  /** Made (when a function) after the first worker has started. */
  constants?: Constants | (() => Constants);
  /** The model's name in the optimised-model cache. */
  name?: string;
  /** Reads the model's optimised form from the cache in this thread (onnx-backend.ts), for a session here
   *  (see `here`). */
  readAhead?: (source: ModelSource) => Promise<ReadAhead | undefined>;
  /** Opens a session in this thread from bytes read ahead (see `here`). */
  openHere?: (
    source: ModelSource,
    ahead: ReadAhead,
    opts: { threads: number; constants: Constants; warmUp: boolean },
  ) => Promise<LocalSession>;
}

/** An OpenSpec with its constants made. */
type MadeSpec = OpenSpec & { constants: Constants };

/** Messages to a worker (inference-worker.ts answers each with a Reply of the same req). */
export type Request =
  | {
      op: 'open';
      req: number;
      session: number;
      /** A file the worker reads itself, or bytes (cloned to each worker: fine for a small model). */
      source: ModelSource;
      backend: BackendRequest;
      threads: number;
      constants: Record<string, TensorData>;
      name?: string;
    }
  | { op: 'run'; req: number; session: number; feeds: Record<string, TensorData> }
  /** A whole job in the worker, on sessions it holds (frame-task.ts: detect + classify a decoded frame). */
  | { op: 'task'; req: number; task: 'frame'; sessions: number[]; args: unknown }
  | { op: 'close'; req: number; session: number }
  /** The native runtime's check, done once in the pool's thread (native-runtime-check.ts); not answered. */
  | { op: 'native-verdict'; req: number; verdict: NativeRuntimeVerdict }
  /** Release everything and end the thread with this code (shutdown; a crash in tests). */
  | { op: 'exit'; req: number; code: number };

export type Reply =
  | { req: number; ok: true; graph?: GraphSignature; backend?: BackendInfo; outputs?: Record<string, TensorData>; result?: unknown }
  | { req: number; ok: false; error: { name: string; message: string } };

const WORKER_SCRIPT = path.join(__dirname, 'inference-worker.js');

class PoolWorker {
  readonly thread: Worker;
  private nextReq = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply & { ok: true }) => void; reject: (e: Error) => void }>();
  /** Sessions opened in this worker (or opening). */
  readonly opened = new Map<number, Promise<Reply & { ok: true }>>();
  /** Sessions open and ready in this worker. */
  readonly ready = new Set<number>();
  dead: Error | undefined;
  /** Runs answered, for stats. */
  runs = 0;
  private drainWaiters: (() => void)[] = [];

  /** nativeCheck: the check's verdict, 'pending' (it follows as a message before any request), or absent. */
  constructor(onDeath: (w: PoolWorker) => void, nativeCheck?: NativeRuntimeVerdict | 'pending') {
    const gate = createExitGate();
    this.thread = new Worker(WORKER_SCRIPT, {
      env: process.env,
      stdout: false,
      stderr: false,
      workerData: { backend: requestedBackendName(), exitGate: gate.buffer, nativeCheck },
    });
    this.thread.unref(); // ref'd only while a request is out (see call)
    // A process that exits while this worker is inside onnxruntime waits for it (exit-gate.ts).
    const guard = guardExit(gate);
    this.thread.once('exit', () => guard.forget());
    const fail = (err: Error) => {
      if (this.dead) return;
      this.end(err);
      onDeath(this);
    };
    this.thread.on('message', (r: Reply) => {
      const p = this.pending.get(r.req);
      if (!p) return;
      this.pending.delete(r.req);
      if (this.pending.size === 0) {
        this.thread.unref();
        this.drainWaiters.splice(0).forEach((d) => d());
      }
      if (r.ok) p.resolve(r);
      else p.reject(Object.assign(new Error(r.error.message), { name: r.error.name }));
    });
    this.thread.on('error', (err) => fail(new Error(`an inference worker failed: ${err.message}`)));
    this.thread.on('exit', (code) => {
      fail(new Error(`an inference worker stopped (exit code ${code})`));
      this.drainWaiters.splice(0).forEach((d) => d());
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  call(msg: DistributiveOmit<Request, 'req'>, transfer: ArrayBuffer[] = []): Promise<Reply & { ok: true }> {
    if (this.dead) return Promise.reject(this.dead);
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      this.pending.set(req, { resolve, reject });
      this.thread.ref();
      this.thread.postMessage({ ...msg, req }, transfer);
    });
  }

  /** Sends a message that is not answered (the native runtime's verdict). */
  tell(msg: DistributiveOmit<Request, 'req'>): void {
    if (!this.dead) this.thread.postMessage({ ...msg, req: 0 });
  }

  /** Marks the worker dead and fails what it still owes. */
  private end(err: Error): void {
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.thread.unref();
  }

  /**
   * Ends the thread once nothing is pending. Never worker.terminate() under a native call (a session being
   * created or run): onnxruntime's binding then throws into a torn-down environment and aborts the process.
   */
  async shutdown(): Promise<void> {
    while (this.pending.size > 0 && !this.dead) await new Promise<void>((r) => this.drainWaiters.push(r));
    if (this.dead) return;
    const exited = new Promise<void>((r) => this.thread.once('exit', () => r()));
    this.thread.ref();
    this.thread.postMessage({ op: 'exit', req: 0, code: 0 });
    await exited;
  }

  /** Ends the thread as a crash would, with requests possibly pending (tests). */
  crash(): void {
    this.thread.postMessage({ op: 'exit', req: 0, code: 1 });
  }
}

/** LIGHTEXNET_BACKEND as the worker should preload it (an invalid value is reported at open, not here). */
function requestedBackendName(): string {
  return (process.env.LIGHTEXNET_BACKEND ?? 'auto').toLowerCase();
}

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;

/** Whether an array is all of its own ArrayBuffer: then that can be moved to a worker, not copied. */
const ownsItsBuffer = (a: ArrayBufferView): boolean =>
  a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;

interface OpenSession {
  spec: MadeSpec;
  graph: GraphSignature;
  backend: BackendInfo;
}

/** A session wanted in every worker: what opens it, and its first open (a worker added later opens it after). */
interface WantedSession {
  spec: MadeSpec;
  source: ModelSource;
  first: Promise<unknown>;
  /** Its first open was (or was tried) in this thread. */
  here: boolean;
}

/** A session opened in the pool's own thread for the start (InferencePool's `here`), with its runs in flight. */
interface HereSession {
  local: LocalSession;
  runs: Set<Promise<unknown>>;
}

/** The pool and id behind a session that InferencePool.open returned (for tasks on several sessions). */
const pooledSessions = new WeakMap<ModelSession, { pool: InferencePool; id: number }>();

export function pooledSession(session: ModelSession): { pool: InferencePool; id: number } | undefined {
  return pooledSessions.get(session);
}

export class InferencePool {
  private workers: PoolWorker[] = [];
  private readonly sessions = new Map<number, OpenSession>();
  private nextSession = 1;
  /** Opens under way: the workers must not end under them. */
  private opening = 0;
  /** Sessions opened and not closed (a deferred open checks it before it starts), once their model is found. */
  private readonly wanted = new Map<number, WantedSession | undefined>();
  /** Opens waiting for their worker to finish opening another session. */
  private readonly deferred = new Set<Promise<unknown>>();
  private turn = 0;
  /** The native runtime's check (native-runtime-check.ts), once for all workers; its verdict once known. */
  private nativeCheck: Promise<void> | undefined;
  private nativeVerdict: NativeRuntimeVerdict | undefined;
  /**
   * Resolves when each open session has answered a run after the pool starts (or a second later). Until then
   * the pool has one worker, which opens every model, or none (startingHere): start-up is short of CPU on two
   * cores, and another worker (its thread, its copy of the code and the runtime, ~100 ms of a core) or second
   * copies of the models would compete with the first frame, which needs neither. The workers start then, and
   * open every session. bench/cold-start.js: see docs/performance.md (sessions 24 and 26).
   */
  private firstUse: Promise<void> = Promise.resolve();
  /** Resolves once the pool has grown after firstUse. */
  private grown: Promise<void> = Promise.resolve();
  private markUsed: () => void = () => undefined;
  /** The start is over (firstUse resolved): the pool grows to its size. */
  private started = false;
  /** Sessions that have answered a run during the start. */
  private readonly answered = new Set<number>();
  /**
   * Sessions opened in this thread for the process's first start (see startedBefore), until a worker has
   * them: every model whose optimised form is cached, while the start goes on here (startingHere). They serve
   * the frames until a worker has them (their runs take this thread ~2-3 ms a model, at the start only); the
   * workers open them after the start, and each copy here is released once one has.
   */
  private readonly here = new Map<number, HereSession>();
  /**
   * The process's first start goes on in this thread: every model whose optimised form is cached opens here,
   * and no worker starts before the first frame has been answered (see firstUse). On two cores a worker's boot
   * (~100 ms of a core) beside this thread's opens made both slower (docs/performance.md, session 26). Ends
   * (a worker starts) as soon as a model cannot open here.
   */
  private get startingHere(): boolean {
    return this.startsHere;
  }
  private set startingHere(v: boolean) {
    this.startsHere = v;
    noIdleAtStart = v;
  }
  private startsHere = false;
  /** Whether the pool has started (a worker, or sessions here) and not ended since. */
  private running = false;
  /** Whether this thread has loaded the native runtime (once it passed its check): sessions may open here. */
  private runtimeHere: Promise<boolean> = Promise.resolve(false);

  constructor(readonly size: number) {
    if (size < 1) throw new RangeError('an inference pool needs at least one worker');
  }

  /**
   * Opens a session in every worker; resolves when the first has it, with its graph and backend. The worker
   * opening the fewest sessions opens it at once, the others once it has (and after what they are opening).
   * At start-up the pool has one worker (see firstUse): it opens every model, the others after the first frame.
   */
  async open(lazySpec: OpenSpec): Promise<{ session: ModelSession; backend: BackendInfo; close(): Promise<void> }> {
    const id = this.nextSession++;
    this.opening++;
    this.wanted.set(id, undefined);
    let first: Reply & { ok: true };
    let spec: MadeSpec;
    try {
      // Workers start (and load the runtime) while the model is found; none at a process's first start for a
      // model that may open here (see startingHere).
      this.fill(!startedBefore && lazySpec.readAhead !== undefined && lazySpec.openHere !== undefined);
      spec = { ...lazySpec, constants: constantsOf(lazySpec.constants) };
      const source = await spec.load();
      this.fill();
      const here = this.openHere(id, spec, source);
      let firstOpen: Promise<Reply & { ok: true }>;
      let now: PoolWorker | undefined;
      if (here) {
        firstOpen = here.then((r) => r ?? this.openIn(this.leastBusyOpening(), id, spec, source));
      } else {
        now = this.leastBusyOpening();
        firstOpen = this.openIn(now, id, spec, source);
      }
      if (this.wanted.has(id)) this.wanted.set(id, { spec, source, first: firstOpen, here: here !== undefined });
      const opens = [firstOpen, ...this.workers.filter((w) => w !== now).map((w) => this.openAfter(firstOpen, w, id, spec, source))];
      for (const p of opens) p.catch(() => undefined); // the first one's error is the one reported
      first = await Promise.race(opens);
    } catch (err) {
      this.wanted.delete(id);
      this.opening--;
      await this.closeIn(id);
      await this.endIfIdle();
      throw err;
    }
    this.opening--;
    const opened: OpenSession = { spec, graph: first.graph as GraphSignature, backend: first.backend as BackendInfo };
    this.sessions.set(id, opened);
    const session: ModelSession = {
      ...opened.graph,
      run: (feeds) => this.run(id, feeds),
    };
    pooledSessions.set(session, { pool: this, id });
    return { session, backend: opened.backend, close: () => this.close(id) };
  }

  /** Opens the session in `w` once `firstOpen` and the sessions `w` is opening now are open (or have failed). */
  private openAfter(
    firstOpen: Promise<unknown>,
    w: PoolWorker,
    id: number,
    spec: MadeSpec,
    source: ModelSource,
  ): Promise<Reply & { ok: true }> {
    const current = [...w.opened.entries()].filter(([s]) => !w.ready.has(s)).map(([, p]) => p);
    const p = Promise.all([firstOpen, this.firstUse, ...current].map((q) => q.catch(() => undefined))).then(() => {
      if (!this.wanted.has(id)) throw new Error('the session was released before this worker opened it');
      return this.openIn(w, id, spec, source);
    });
    const settled = p.catch(() => undefined).finally(() => this.deferred.delete(settled));
    this.deferred.add(settled);
    return p;
  }

  /** The worker opening the fewest sessions (one starts if the start was going on in this thread). */
  private leastBusyOpening(): PoolWorker {
    if (this.workers.length === 0) {
      this.startingHere = false; // a model that does not open here: the start goes on in a worker
      this.fill();
    }
    const busy = (w: PoolWorker) => [...w.opened.keys()].filter((s) => !w.ready.has(s)).length;
    return this.workers.reduce((a, b) => (busy(b) < busy(a) ? b : a));
  }

  /**
   * Opens the session in this thread (see `here`) while the process's first start goes on here (startingHere),
   * where the native runtime is loaded here and the optimised-model cache has the model as it stands. Undefined (or a
   * promise of it, when that turns out not to be so, or the open fails here) where a worker opens it instead.
   */
  private openHere(id: number, spec: MadeSpec, source: ModelSource): Promise<(Reply & { ok: true }) | undefined> | undefined {
    const { readAhead, openHere } = spec;
    if (!this.startingHere || !readAhead || !openHere) return undefined;
    const reading = readAhead(source);
    return (async () => {
      try {
        const ahead = await reading;
        if (!ahead || !(await this.runtimeHere)) return undefined;
        // No warm-up run: the first frame's run, in this same thread, is one.
        const local = await openHere(source, ahead, { threads: spec.threads, constants: spec.constants, warmUp: false });
        this.here.set(id, { local, runs: new Set() });
        const { inputNames, outputNames, inputMetadata, outputMetadata } = local.session;
        return { req: 0, ok: true as const, graph: { inputNames, outputNames, inputMetadata, outputMetadata }, backend: local.backend };
      } catch {
        return undefined; // the worker opens it, and reports what is wrong with it
      }
    })();
  }

  /** Releases this thread's copy of a session once its runs are over (a worker has it, or it closed). */
  private async retireHere(id: number): Promise<void> {
    const h = this.here.get(id);
    if (!h) return;
    this.here.delete(id);
    await Promise.allSettled([...h.runs]);
    await h.local.session.release().catch(() => undefined);
  }

  private openIn(w: PoolWorker, id: number, spec: MadeSpec, source: ModelSource): Promise<Reply & { ok: true }> {
    let p = w.opened.get(id);
    if (!p) {
      // Bytes are cloned to each worker (the main thread keeps none); a file is read by each worker.
      p = w.call({
        op: 'open',
        session: id,
        source,
        backend: spec.backend,
        threads: spec.threads,
        constants: spec.constants,
        name: spec.name,
      });
      p.then(
        () => {
          w.ready.add(id);
          void this.retireHere(id);
        },
        () => undefined,
      );
      w.opened.set(id, p);
    }
    return p;
  }

  private async run(id: number, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const h = this.here.get(id);
    if (h && !this.workers.some((w) => w.ready.has(id))) {
      const p = h.local.session.run(feeds);
      h.runs.add(p);
      try {
        const out = await p;
        this.ran([id]);
        return out;
      } finally {
        h.runs.delete(p);
      }
    }
    const w = await this.workerFor([id]);
    const transfer: ArrayBuffer[] = [];
    const sent: Record<string, TensorData> = {};
    for (const [k, t] of Object.entries(feeds)) {
      // Transfer a tensor that owns its whole buffer; copy one that is a view into something larger.
      const data = ownsItsBuffer(t.data) ? t.data : t.data.slice();
      transfer.push(data.buffer as ArrayBuffer);
      sent[k] = { data, dims: t.dims };
    }
    const reply = await w.call({ op: 'run', session: id, feeds: sent }, transfer);
    w.runs++;
    this.ran([id]);
    return reply.outputs ?? {};
  }

  /**
   * Runs a task (inference-worker.ts) in one worker on sessions it holds, with `args` cloned to it and the
   * buffers in `transfer` moved; resolves with the task's result, or rejects with its error.
   */
  async task(task: 'frame', sessions: number[], args: unknown, transfer: ArrayBuffer[] = []): Promise<unknown> {
    const w = await this.workerFor(sessions);
    const reply = await w.call({ op: 'task', task, sessions, args }, transfer);
    w.runs++;
    this.ran(sessions);
    return reply.result;
  }

  /** Ends the start once every open session has answered a run (a frame's, at start-up one trip per model). */
  private ran(ids: number[]): void {
    if (this.started) return;
    for (const id of ids) this.answered.add(id);
    if ([...this.sessions.keys()].every((id) => this.answered.has(id))) this.markUsed();
  }

  /** A worker for a run on these sessions, once it has them open (a replacement worker opens them first). */
  private async workerFor(ids: number[]): Promise<PoolWorker> {
    const specs = ids.map((id) => {
      const s = this.sessions.get(id);
      if (!s) throw new Error('the session was released');
      return s.spec;
    });
    this.fill();
    if (this.workers.length === 0) this.leastBusyOpening(); // not a session here: the start goes on in a worker
    const w = this.pick(ids);
    await Promise.all(
      ids.map(async (id, i) => {
        if (!w.opened.has(id)) await this.openIn(w, id, specs[i], await specs[i].load());
        else await w.opened.get(id);
      }),
    );
    return w;
  }

  /** The live worker with the fewest runs in flight, among those that have the sessions ready if any do
   *  (else a new worker, which opens them); ties taken in turn. */
  private pick(ids: number[]): PoolWorker {
    const ready = this.workers.filter((w) => ids.every((id) => w.ready.has(id)));
    const from = ready.length ? ready : this.workers;
    let best: PoolWorker | undefined;
    for (let i = 0; i < from.length; i++) {
      const w = from[(this.turn + i) % from.length];
      if (!best || w.inFlight < best.inFlight) best = w;
    }
    this.turn++;
    return best as PoolWorker;
  }

  /** Whether the pool is still starting (one worker, until its first run has answered: see firstUse). */
  get startingUp(): boolean {
    return !this.started;
  }

  /** Sessions open in this thread for the start (see `here`), for tests. */
  heldHere(): number[] {
    return [...this.here.keys()];
  }

  /** Whether some worker has all these sessions open (a task on them can start there now). */
  holdsTogether(ids: number[]): boolean {
    return this.workers.some((w) => ids.every((id) => w.ready.has(id)));
  }

  /** Ends the start (the pool grows to its size) and resolves when every worker has opened every session
   *  (for tests and benchmarks). */
  async settled(): Promise<void> {
    this.markUsed();
    await this.grown;
    while (this.deferred.size > 0) await Promise.all(this.deferred);
    await Promise.all(this.workers.flatMap((w) => [...w.opened.values()].map((p) => p.catch(() => undefined))));
  }

  /**
   * Starts workers up to the pool's size (at the first open, and to replace one that died). `hereFirst`: the
   * pool's start may go on in this thread (see startingHere), when this call starts it.
   */
  private fill(hereFirst = false): void {
    // onnxruntime's telemetry looks up an outside host; the native library reads this from the process
    // environment when it loads. A worker's process.env is a copy that never reaches the C environment,
    // so it is set here, in the main thread, before any worker loads the runtime.
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    if (!this.running) {
      this.running = true;
      this.started = false;
      this.startingHere = hereFirst && !startedBefore;
      this.answered.clear();
      const firstUse = new Promise<void>((resolve) => {
        this.markUsed = resolve;
        setTimeout(resolve, 1000).unref();
      });
      this.firstUse = firstUse;
      // After the first result has gone on its way (starting a thread holds this one for ~4 ms).
      this.grown = firstUse.then(
        () =>
          new Promise<void>((resolve) =>
            setImmediate(() => {
              if (this.firstUse === firstUse && this.running) {
                this.started = true;
                this.startingHere = false;
                startedBefore = true;
                this.fill();
              } // else the pool ended (and may have started again) meanwhile
              resolve();
            }),
          ),
      );
    }
    // Checked here, once, for every worker: one test process per process start rather than one per worker.
    if (!this.nativeCheck && requestedBackendName() !== 'wasm') {
      const check = checkNativeRuntime({ packageName: nativePackageName() }).catch(
        (err: unknown): NativeRuntimeVerdict => ({ kind: 'unchecked', reason: (err as Error).message }), // never leave workers waiting
      );
      this.nativeCheck = check.then((verdict) => {
        this.nativeVerdict = verdict;
        for (const w of this.workers) w.tell({ op: 'native-verdict', verdict });
      });
      this.runtimeHere = Promise.all([startWork, check]).then(
        ([, verdict]) => verdict.kind === 'ok' && inATurnOfItsOwn(() => loadRuntimeHere(nativePackageName())),
      );
      startWork = this.runtimeHere.then(() => undefined);
    }
    const target = this.started ? this.size : this.startingHere ? 0 : 1;
    while (this.workers.length < target) {
      const nativeCheck = this.nativeVerdict ?? (this.nativeCheck ? 'pending' : undefined);
      const w = new PoolWorker((dead) => {
        this.workers = this.workers.filter((x) => x !== dead);
      }, nativeCheck);
      this.workers.push(w);
      // After the start, a new worker (the pool growing, or replacing one that died) opens every session;
      // during it, those opened here (once the start is over).
      for (const [id, want] of this.wanted)
        if (want && (this.started || want.here)) void this.openAfter(want.first, w, id, want.spec, want.source).catch(() => undefined);
    }
  }

  private async close(id: number): Promise<void> {
    this.sessions.delete(id);
    this.wanted.delete(id);
    await Promise.all([this.closeIn(id), this.retireHere(id)]);
    await this.endIfIdle();
  }

  /** Ends the workers when no session is open or opening. */
  private async endIfIdle(): Promise<void> {
    if (this.sessions.size > 0 || this.opening > 0) return;
    const workers = this.workers;
    this.workers = [];
    this.running = false;
    this.startingHere = false;
    await Promise.all(workers.map((w) => w.shutdown()));
  }

  private async closeIn(id: number): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (!w.opened.has(id)) return;
        w.opened.delete(id);
        w.ready.delete(id);
        await w.call({ op: 'close', session: id }).catch(() => undefined);
      }),
    );
  }

  /** The workers alive now: thread id, runs in flight, runs done (for tests, status and benchmarks). */
  stats(): { threadId: number; inFlight: number; runs: number }[] {
    return this.workers.map((w) => ({ threadId: w.thread.threadId, inFlight: w.inFlight, runs: w.runs }));
  }

  /** Ends a worker as if it had crashed, failing what it was asked after (tests). */
  crashOne(): void {
    this.workers[0]?.crash();
  }
}

const pools = new Map<number, InferencePool>();

/** The process's pool of `size` workers. */
export function sharedPool(size = poolSize()): InferencePool {
  let p = pools.get(size);
  if (!p) {
    p = new InferencePool(size);
    pools.set(size, p);
  }
  return p;
}
