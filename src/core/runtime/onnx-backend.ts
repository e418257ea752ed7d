/**
 * Which ONNX Runtime runs the models, where, and the shared session cache.
 *
 * The native runtime is onnxruntime-node's build for this platform, installed as the optional dependency
 * @lightexnet/onnxruntime-<os>-<cpu> (npm installs only the one whose os/cpu/libc match; there are glibc
 * Linux x64/arm64, macOS arm64 and Windows x64/arm64 builds). Where none is installed or it cannot load
 * (Alpine/musl, as in the official Node-RED Docker image and the Home Assistant add-on; 32-bit ARM) we fall
 * back to onnxruntime-web's WASM build, vendored in vendor/onnxruntime-web; also where the native one crashes in a
 * child process that tries it first (native-runtime-check.ts). Both speak onnxruntime-common's
 * API. LIGHTEXNET_BACKEND=wasm forces the fallback (tests use it); =native refuses it.
 * scripts/build-runtime.js builds both from onnxruntime's npm packages.
 *
 * Sessions run in worker threads (inference-pool.ts) unless LIGHTEXNET_WORKERS=0: onnxruntime's run is
 * synchronous on the thread that calls it, and Node-RED has one thread for every flow.
 */
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import type * as OrtCommon from 'onnxruntime-common';
import type { GraphSignature } from '../classification/model-manifest';
import { Constants, constantsOf, poolSize, sharedPool } from './inference-pool';
import { checkNativeRuntime, nativePackageName } from './native-runtime-check';
import { sha256Hex } from './lazy-crypto';
import { isModelFile, ModelFile, ModelLoadError, modelBytes, ModelSource, unreadable } from './model-file';
import {
  cacheDirectory,
  cacheEntry,
  cacheKey,
  CacheOutcome,
  commit,
  discard,
  ensurePrivateDirectory,
  OptimizedModelEntry,
  readCached,
  sameStamp,
  scratchPath,
  Sidecar,
  SourceStamp,
  writeSidecar,
} from './optimized-model-cache';

export type Ort = typeof OrtCommon;
export type BackendName = 'native' | 'wasm';
export type BackendRequest = 'auto' | BackendName;

export interface Backend {
  name: BackendName;
  ort: Ort;
  /** Why the native backend was not used, when it was not. */
  fallbackReason?: string;
}

/** What a caller learns about the runtime that runs its session (it may be in another thread). */
export interface BackendInfo {
  name: BackendName;
  fallbackReason?: string;
  /** Why the optimised-model cache could not be used, when the user may want to know (an unusable folder,
   *  a failed save); absent when it served or saved the model, or was turned off. */
  cacheProblem?: string;
}

/** A float32 tensor as plain data: what crosses to a worker and back. */
export interface TensorData {
  data: Float32Array;
  dims: readonly number[];
}

/** An inference session wherever it runs: its graph's names and shapes, and run(). */
export interface ModelSession extends GraphSignature {
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
}

const backends = new Map<BackendRequest, Promise<Backend>>();

/** onnxruntime-web's Node WASM build, shipped in the package (scripts/build-runtime.js). */
const WASM_DIR = path.resolve(__dirname, '..', '..', '..', 'vendor', 'onnxruntime-web');

export { nativePackageName } from './native-runtime-check';

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'native', 'wasm'];

/**
 * The backend asked for: `runtime` when it names one, else LIGHTEXNET_BACKEND's (auto: native, else WASM).
 */
export function requestedBackend(runtime: BackendRequest = 'auto'): BackendRequest {
  if (!BACKEND_REQUESTS.includes(runtime)) throw new Error(`runtime must be auto, native or wasm, not "${runtime}"`);
  if (runtime !== 'auto') return runtime;
  const want = (process.env.LIGHTEXNET_BACKEND ?? 'auto').toLowerCase();
  if (!BACKEND_REQUESTS.includes(want as BackendRequest)) {
    throw new Error(`LIGHTEXNET_BACKEND must be auto, native or wasm, not "${want}"`);
  }
  return want as BackendRequest;
}

/** Loads the runtime in this thread (once per request kind). */
export function getBackend(want: BackendRequest = requestedBackend()): Promise<Backend> {
  let p = backends.get(want);
  if (!p) {
    p = loadBackend(want);
    backends.set(want, p);
    p.catch(() => backends.delete(want));
  }
  return p;
}

async function loadBackend(want: BackendRequest): Promise<Backend> {
  // onnxruntime's telemetry looks up an outside host within seconds of a session; we promise no network.
  // It reads this when the native library loads, so it must be set before the require below.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  let reason = process.env.LIGHTEXNET_BACKEND?.toLowerCase() === 'wasm' ? 'LIGHTEXNET_BACKEND=wasm' : 'the WASM runtime was asked for';
  if (want !== 'wasm') {
    const name = nativePackageName();
    // A native runtime that crashes as it loads would end this process (Node-RED with it): tried in a child first.
    const check = await checkNativeRuntime({ packageName: name });
    if (check.kind === 'crashed') {
      if (want === 'native') throw new Error(`${name} ${check.reason}; with the runtime left at auto, the WASM runtime runs instead`);
      reason = `${name} ${check.reason}`;
    } else {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed (it may not load at all)
        const ort = require(name) as Ort;
        return { name: 'native', ort };
      } catch (err) {
        if (want === 'native') throw err;
        const e = err as NodeJS.ErrnoException;
        reason =
          e.code === 'MODULE_NOT_FOUND' && e.message.includes(name)
            ? `no native ONNX Runtime is installed for ${process.platform}-${process.arch} (${name})`
            : `${name} could not load: ${e.message.split('\n')[0]}`;
      }
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed (it may not load at all)
  const ort = require(path.join(WASM_DIR, 'ort.node.min.js')) as Ort;
  // The Node build finds its .wasm beside itself only when told where that is.
  ort.env.wasm.wasmPaths = WASM_DIR + path.sep;
  ort.env.wasm.numThreads = 1; // our own workers give the parallelism; ORT's would need a script of their own
  ort.env.wasm.simd = true;
  return { name: 'wasm', ort, fallbackReason: reason };
}

export interface SessionOptions {
  /** Which runtime runs the session (default 'auto': LIGHTEXNET_BACKEND, else native where it loads, else WASM). */
  runtime?: BackendRequest;
  /** Intra-op threads (default 1: parallelism comes from the worker pool, one frame per worker). */
  threads?: number;
  /** Inputs that are the same for every run (the classifier's view grids): sent once, not per run. Or a
   *  function that makes them, called once the inference workers have started (they start first). */
  constants?: Constants | (() => Constants);
  /** The model's name in the optimised-model cache (optimized-model-cache.ts); a file's own name by default. */
  name?: string;
  /** Runs the warm-up run, which goes on after the session is handed out (an inference worker counts it in
   *  its exit gate, exit-gate.ts, as it counts a request). */
  guard?: (work: () => Promise<void>) => Promise<void>;
  /** Whether the session warms up as it opens (default true; see warmUp). */
  warmUp?: boolean;
}

/** A session in this thread: what each pool worker holds, and what LIGHTEXNET_WORKERS=0 uses directly. */
export async function createLocalSession(
  source: ModelSource,
  want: BackendRequest,
  opts: SessionOptions = {},
  lookedUp?: Promise<CacheLookup>,
): Promise<LocalSession> {
  // The cached model's read starts now, while this thread loads the runtime (the first open in a worker).
  const early = lookedUp ?? (want !== 'wasm' ? lookUpCache(source, opts.name) : undefined);
  early?.catch(() => undefined); // reported where it is awaited; never, if the runtime turns out to be WASM
  const backend = await getBackend(want);
  const { ort } = backend;
  const options: OrtCommon.InferenceSession.SessionOptions = {
    // Named, not left to onnxruntime-common's shared registry: once onnxruntime-node is loaded in the
    // process, an unnamed provider resolves to it even for a session meant for the WASM runtime.
    executionProviders: [backend.name === 'native' ? 'cpu' : 'wasm'],
    intraOpNumThreads: Math.max(1, Math.floor(opts.threads ?? 1)),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // The memory pattern is planned over the first two runs, and each of them takes fresh pages (BlazeFace's
    // second run: ~1,100 page faults, 15 ms); the arena serves the same memory without it, as fast after.
    enableMemPattern: false,
  };
  const { s, bytes, cache } = await openSession(ort, backend.name, source, options, opts.name, early);
  const toTensor = (t: TensorData) => new ort.Tensor('float32', t.data, t.dims);
  const constants = Object.fromEntries(Object.entries(constantsOf(opts.constants)).map(([k, v]) => [k, toTensor(v)]));
  const meta = (m: unknown) =>
    Array.isArray(m)
      ? m.map((x: { name: string; isTensor?: boolean; shape?: (number | string)[] }) => ({
          name: x.name,
          isTensor: x.isTensor,
          shape: x.shape ? [...x.shape] : undefined,
        }))
      : undefined;
  const runNow = async (feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> => {
    const inputs: Record<string, OrtCommon.Tensor> = { ...constants };
    for (const [k, v] of Object.entries(feeds)) inputs[k] = toTensor(v);
    const out = await s.run(inputs);
    const result: Record<string, TensorData> = {};
    for (const [k, v] of Object.entries(out)) result[k] = { data: v.data as Float32Array, dims: [...v.dims] };
    return result;
  };
  const inputMetadata = meta((s as unknown as { inputMetadata?: unknown }).inputMetadata);
  // The warm-up run is under way when the session is handed out, and every run and the release wait for it:
  // the caller's work before its first run (a worker's answer crossing, the first frame's decode, letterbox
  // and other model) then overlaps it.
  const warm = () => warmUp(inputMetadata, runNow, Object.keys(constants));
  const warmed = opts.warmUp === false ? Promise.resolve() : (opts.guard ? opts.guard(warm) : warm()).catch(() => undefined);
  const session = {
    inputNames: [...s.inputNames],
    outputNames: [...s.outputNames],
    inputMetadata,
    outputMetadata: meta((s as unknown as { outputMetadata?: unknown }).outputMetadata),
    /** The runtime's own session, for tests that check which handler runs it. */
    handler: (s as unknown as { handler?: object }).handler,
    async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
      await warmed;
      return runNow(feeds);
    },
    async release(): Promise<void> {
      await warmed;
      await s.release();
    },
    /** The runtime reads a cached model's weights in place from these bytes: held as long as the session,
     *  or its next run reads freed memory (an original model's were copied by the runtime, and may go). */
    modelBytes: cache === 'used' ? bytes : undefined,
  };
  const cacheProblem = cache.startsWith('off: ') && !QUIET_CACHE_OUTCOMES.includes(cache) ? cache.slice(5) : undefined;
  return { session, backend: { name: backend.name, fallbackReason: backend.fallbackReason, cacheProblem }, cache };
}

export interface LocalSession {
  session: ModelSession & { release(): Promise<void> };
  backend: BackendInfo;
  cache: CacheOutcome;
}

/**
 * A model's optimised form read from the cache by the inference pool's thread, for a session opened there at a
 * process's first start: only where the cache has the model as it stands, so that the session then
 * costs a cached open (tens of milliseconds), never a first start's optimisation and save, nor the check of a
 * model file that changed.
 */
export interface ReadAhead {
  entry: OptimizedModelEntry;
  stamp?: SourceStamp;
  bytes: Uint8Array;
  sidecar: Sidecar;
}

/**
 * Reads the model's optimised form now, for the inference pool's start in its own thread. Undefined where the
 * cache does not have the model as it stands (a worker then opens it and does everything itself).
 */
export async function readAhead(source: ModelSource, name?: string): Promise<ReadAhead | undefined> {
  const found = await lookUpCache(source, name).catch(() => undefined);
  if (!found || 'off' in found) return undefined;
  const c = await found.cached;
  if (!c || (found.stamp && !sameStamp(c.sidecar.source, found.stamp))) return undefined;
  return { entry: found.entry, stamp: found.stamp, bytes: c.bytes, sidecar: c.sidecar };
}

/** What lookUpCache would have found, from bytes read ahead. */
export const lookedUpFrom = (a: ReadAhead): Promise<CacheLookup> =>
  Promise.resolve({ entry: a.entry, stamp: a.stamp, cached: Promise.resolve({ bytes: a.bytes, sidecar: a.sidecar }) });

/** The cache standing aside by choice, not a problem to report. */
const QUIET_CACHE_OUTCOMES: string[] = ['off: LIGHTEXNET_CACHE_DIR=off', 'off: the WASM runtime'];

/**
 * One run on zeros (symbolic dimensions taken as 1) as the session opens. A session's first run takes the
 * memory of its intermediate tensors fresh from the system (~1,300 page faults and ~18 ms for BlazeFace,
 * against 2.5 ms a run after): paid while the worker would wait for its other model or for the first frame's
 * decode, rather than by the first frame. Best effort: a model whose inputs this cannot guess is not warmed.
 */
async function warmUp(
  inputMetadata: GraphSignature['inputMetadata'],
  run: (feeds: Record<string, TensorData>) => Promise<unknown>,
  given: string[],
): Promise<void> {
  const feeds: Record<string, TensorData> = {};
  for (const m of inputMetadata ?? []) {
    if (given.includes(m.name)) continue;
    if (!m.isTensor || !m.shape) return;
    const dims = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    feeds[m.name] = { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
  }
  await run(feeds).catch(() => undefined);
}

type OrtSession = OrtCommon.InferenceSession;

/** Where a model stands in the optimised-model cache: its entry and its file's stamp, the cached bytes (being
 *  read), or why the cache stands aside. */
export type CacheLookup =
  | { off: string }
  | { entry: OptimizedModelEntry; stamp?: SourceStamp; cached: Promise<{ bytes: Uint8Array; sidecar: Sidecar } | undefined> };

/**
 * Finds the model's entry in the optimised-model cache of the native runtime and starts reading it. For a model
 * file with its manifest's sha256, everything before the read is synchronous, so the read is under way when
 * this returns: called before the runtime loads, the model is read (by libuv's threads) while it does. Rejects
 * with ModelLoadError for a model file that cannot be read.
 */
async function lookUpCache(source: ModelSource, name: string | undefined): Promise<CacheLookup> {
  const { dir, off } = cacheDirectory();
  if (!dir) return { off: off ?? 'no cache folder' };
  const unsafe = ensurePrivateDirectory(dir);
  if (unsafe) return { off: unsafe };
  // A file is named by its manifest's sha256 (checked at every plain read); bytes by their own.
  const modelSha = isModelFile(source) && source.sha256 ? source.sha256 : sha256Hex(await modelBytes(source));
  const entry = cacheEntry(
    dir,
    name ?? (isModelFile(source) ? path.basename(source.path, '.onnx') : 'model'),
    cacheKey(modelSha, nativeRuntimeName()),
  );
  // A model file is used through its cached form while it is the file that was checked (same path, size and
  // time); otherwise it is read and checked against its manifest again, as it would be without the cache.
  const stamp = isModelFile(source) ? sourceStamp(source) : undefined;
  return { entry, stamp, cached: readCached(entry) };
}

/**
 * Opens the session: from the optimised-model cache where it has this model, else from the model itself,
 * saving its optimised form to the cache on the way (native runtime; optimized-model-cache.ts). Whatever
 * goes wrong with the cache, the model still opens from its original. `early`: lookUpCache's answer, asked
 * for before the runtime loaded.
 */
async function openSession(
  ort: Ort,
  runtime: BackendName,
  source: ModelSource,
  options: OrtCommon.InferenceSession.SessionOptions,
  name: string | undefined,
  early?: Promise<CacheLookup>,
): Promise<{ s: OrtSession; bytes: Uint8Array; cache: CacheOutcome }> {
  const plain = async (cache: CacheOutcome) => {
    const bytes = await modelBytes(source);
    return { s: await ort.InferenceSession.create(bytes, options), bytes, cache };
  };
  if (runtime !== 'native') return plain('off: the WASM runtime');
  const found = await (early ?? lookUpCache(source, name));
  if ('off' in found) return plain(`off: ${found.off}`);
  const { entry, stamp } = found;
  const cached = await found.cached;
  if (cached) {
    if (stamp && !sameStamp(cached.sidecar.source, stamp)) {
      await modelBytes(source); // throws ModelLoadError for a damaged or replaced file
      await writeSidecar(entry, { ...cached.sidecar, source: stamp }).catch(() => undefined);
    }
    try {
      const s = await ort.InferenceSession.create(cached.bytes, {
        ...options,
        graphOptimizationLevel: 'disabled', // optimised when it was saved
        extra: { session: { use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' } },
      });
      return { s, bytes: cached.bytes, cache: 'used' };
    } catch {
      await discard(entry); // refused by this runtime: written again below
    }
  }
  const bytes = await modelBytes(source);
  const scratch = scratchPath(entry);
  let s: OrtSession;
  try {
    // logSeverityLevel 3: ORT warns on every save that the file fits this machine only, which the key handles.
    // ORT picks the saved format from the file name, and the scratch name ends in .tmp: without
    // save_model_format it writes ONNX, whose weights a later start copies instead of reading in place.
    s = await ort.InferenceSession.create(bytes, {
      ...options,
      optimizedModelFilePath: scratch,
      logSeverityLevel: 3,
      extra: { session: { save_model_format: 'ORT' } },
    });
  } catch {
    await rm(scratch, { force: true }).catch(() => undefined);
    return plain('off: the optimised model could not be saved'); // a model that does not open fails here again
  }
  try {
    await commit(entry, scratch, stamp);
    return { s, bytes, cache: 'written' };
  } catch (err) {
    return { s, bytes, cache: `off: ${(err as Error).message}` };
  }
}

/** A model file's path, size and modification time (ModelLoadError when it cannot be read). */
function sourceStamp(file: ModelFile): SourceStamp {
  try {
    const st = statSync(file.path);
    return { path: path.resolve(file.path), size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    throw new ModelLoadError(`model file ${file.path} ${unreadable(err)}`);
  }
}

/** The native runtime's name and version, for the cache key: from its package, so known before it loads. */
function nativeRuntimeName(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON file of the installed runtime package
  const pkg = require(`${nativePackageName()}/package.json`) as { version?: string; dependencies?: Record<string, string> };
  return `onnxruntime-node ${pkg.version ?? '?'} common ${pkg.dependencies?.['onnxruntime-common'] ?? '?'}`;
}

interface CacheEntry {
  refs: number;
  opened: Promise<{ session: ModelSession; backend: BackendInfo; close(): Promise<void> }>;
}

const cache = new Map<string, CacheEntry>();

/** A session shared by everyone who acquired it under the same key; release() once per acquire. */
export interface SharedSession {
  session: ModelSession;
  backend: BackendInfo;
  release(): Promise<void>;
}

/**
 * Gets (or creates) the session for `key`. `load` gives the model: its bytes, or its file, which each
 * inference worker then reads and checks itself (the main thread neither reads nor copies it). It runs
 * once per key while the session is held (and again for a worker that replaces one that died).
 */
export async function acquireSession(key: string, load: () => Promise<ModelSource>, opts: SessionOptions = {}): Promise<SharedSession> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const want = requestedBackend(opts.runtime);
  const workers = poolSize();
  const fullKey = `${want}|${threads}|${workers}|${key}`;
  let entry = cache.get(fullKey);
  if (!entry) {
    const opened =
      workers > 0
        ? sharedPool(workers).open({
            load,
            backend: want,
            threads,
            constants: opts.constants,
            name: opts.name,
            readAhead: want === 'wasm' ? undefined : (source) => readAhead(source, opts.name),
            openHere: (source, ahead, o) => createLocalSession(source, 'native', { ...o, name: opts.name }, lookedUpFrom(ahead)),
          })
        : load()
            .then((source) => createLocalSession(source, want, { threads, constants: opts.constants, name: opts.name }))
            .then(({ session, backend }) => ({ session, backend, close: () => session.release() }));
    entry = { refs: 0, opened };
    cache.set(fullKey, entry);
    opened.catch(() => cache.delete(fullKey)); // a failed load is not cached
  }
  entry.refs++;
  let value: Awaited<CacheEntry['opened']>;
  try {
    value = await entry.opened;
  } catch (err) {
    entry.refs--;
    throw err;
  }
  let released = false;
  const held = entry;
  return {
    session: value.session,
    backend: value.backend,
    async release() {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs === 0 && cache.get(fullKey) === held) {
        cache.delete(fullKey);
        await value.close();
      }
    },
  };
}

/** Number of live shared sessions (for tests and status). */
export function liveSessionCount(): number {
  return cache.size;
}
