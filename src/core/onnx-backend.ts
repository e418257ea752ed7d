/**
 * Which ONNX Runtime runs the models, and the shared session cache.
 *
 * onnxruntime-node is native and ships glibc builds for x64 and arm64 only. Where its binary cannot load
 * (Alpine/musl, as in the official Node-RED Docker image and the Home Assistant add-on; 32-bit ARM) we fall
 * back to onnxruntime-web's WASM backend, which runs in Node too. Both share onnxruntime-common's API.
 * LIGHTEXNET_BACKEND=wasm forces the fallback (tests use it); =native refuses it.
 */
import * as path from 'node:path';
import type * as OrtNode from 'onnxruntime-node';

export type Ort = typeof OrtNode;
export type BackendName = 'native' | 'wasm';
export type Session = OrtNode.InferenceSession;

export interface Backend {
  name: BackendName;
  ort: Ort;
  /** Why the native backend was not used, when it was not. */
  fallbackReason?: string;
}

let cached: Promise<Backend> | undefined;
let cachedFor: string | undefined;

export function getBackend(): Promise<Backend> {
  const want = (process.env.LIGHTEXNET_BACKEND ?? 'auto').toLowerCase();
  if (!cached || cachedFor !== want) {
    cachedFor = want;
    cached = loadBackend(want);
  }
  return cached;
}

async function loadBackend(want: string): Promise<Backend> {
  if (!['auto', 'native', 'wasm'].includes(want)) {
    throw new Error(`LIGHTEXNET_BACKEND must be auto, native or wasm, not "${want}"`);
  }
  // onnxruntime's telemetry looks up an outside host within seconds of a session; we promise no network.
  // It reads this when the native library loads, so it must be set before the require below.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  let reason = 'LIGHTEXNET_BACKEND=wasm';
  if (want !== 'wasm') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ort = require('onnxruntime-node') as Ort;
      return { name: 'native', ort };
    } catch (err) {
      if (want === 'native') throw err;
      reason = `onnxruntime-node could not load: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-web') as Ort;
  // The Node build finds its .wasm beside itself only when told where that is.
  ort.env.wasm.wasmPaths = path.dirname(require.resolve('onnxruntime-web')) + path.sep;
  ort.env.wasm.numThreads = 1; // worker threads in Node would need a worker script of their own
  return { name: 'wasm', ort, fallbackReason: reason };
}

export interface SessionOptions {
  /** Intra-op threads for the native backend (default 1: leave cores for Node-RED and other flows). */
  threads?: number;
}

interface CacheEntry {
  refs: number;
  session: Promise<{ session: Session; backend: Backend }>;
}

const cache = new Map<string, CacheEntry>();

/** A session shared by everyone who acquired it under the same key; release() once per acquire. */
export interface SharedSession {
  session: Session;
  backend: Backend;
  release(): Promise<void>;
}

/**
 * Gets (or creates) the session for `key`. `load` gives the model bytes; it runs once per key while
 * the session is held.
 */
export async function acquireSession(
  key: string,
  load: () => Promise<Uint8Array>,
  opts: SessionOptions = {},
): Promise<SharedSession> {
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  const backend = await getBackend();
  const fullKey = `${backend.name}|${threads}|${key}`;
  let entry = cache.get(fullKey);
  if (!entry) {
    const session = (async () => {
      const bytes = await load();
      const s = await backend.ort.InferenceSession.create(bytes, {
        // Named, not left to onnxruntime-common's shared registry: once onnxruntime-node is loaded in the
        // process, an unnamed provider resolves to it even for a session meant for the WASM runtime.
        executionProviders: [backend.name === 'native' ? 'cpu' : 'wasm'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return { session: s, backend };
    })();
    entry = { refs: 0, session };
    cache.set(fullKey, entry);
    session.catch(() => cache.delete(fullKey)); // a failed load is not cached
  }
  entry.refs++;
  let value: { session: Session; backend: Backend };
  try {
    value = await entry.session;
  } catch (err) {
    entry.refs--;
    throw err;
  }
  let released = false;
  const held = entry;
  return {
    ...value,
    async release() {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs === 0 && cache.get(fullKey) === held) {
        cache.delete(fullKey);
        await value.session.release();
      }
    },
  };
}

/** Number of live shared sessions (for tests and status). */
export function liveSessionCount(): number {
  return cache.size;
}
