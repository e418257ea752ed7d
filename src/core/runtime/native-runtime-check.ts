/**
 * Whether this platform's native ONNX Runtime can be loaded in this process without taking it down.
 *
 * A native library that crashes as it loads or first runs (a segfault, an illegal instruction for this CPU)
 * cannot be caught: it would end the process, and Node-RED with it, at every start, since the flows load our
 * nodes. onnxruntime-node 1.30's linux/arm64 binding did exactly that at `require` under qemu 7.2 (PLATFORMS.md),
 * and the arm64, macOS and Windows builds are not run in CI. So, before the first load, a child process loads
 * the runtime, opens the small short-range BlazeFace graph and runs it once (native-runtime-child.ts). If the
 * child dies or hangs, this process uses the WASM runtime instead and says why. A pass is remembered in the
 * optimised-model cache's folder, per runtime package version, Node version and CPU, so the check costs one
 * child process (~0.2 s here) once, not at every start. A child that cannot be started, or that meets an error
 * JavaScript can catch, proves nothing either way: the runtime is then loaded here as before, where such an
 * error is caught. The same child then tries the package's JPEG decoder (libjpeg-turbo, image/turbo-jpeg.ts),
 * which this process loads only if it decoded there: unlike the runtime, it is never needed (sharp decodes).
 */
import type * as ChildProcess from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { crypto, keyHash } from './lazy-crypto';
import { cacheDirectory, ensurePrivateDirectory, machineFingerprint } from './optimized-model-cache';

/** What the child found of the package's JPEG decoder (jpeg-turbo/, used by image/turbo-jpeg.ts). */
export type NativeDecoderState =
  /** It loaded and decoded a JPEG in the child. */
  | 'ok'
  /** The child died or hung while loading or running it: never load it in this process. */
  | 'crashed'
  /** It threw an error JavaScript caught (it does not load or decode here): not used. */
  | 'failed'
  /** The package has none (a stand-in, an older build). */
  | 'absent';

export type NativeRuntimeVerdict =
  /** It loaded and ran in a child process (now, or at an earlier start: `remembered`); and its decoder. (With
   *  the other verdicts the decoder was not tried, and is not used.) */
  | { kind: 'ok'; remembered: boolean; decoder: NativeDecoderState }
  /** It crashed or hung in the child: loading it here would end this process. */
  | { kind: 'crashed'; reason: string }
  /** Nothing learnt (not installed, no child process, an error the child caught): load it as before. */
  | { kind: 'unchecked'; reason: string };

export interface NativeCheckOptions {
  /** The runtime package, e.g. @lightexnet/onnxruntime-linux-x64. */
  packageName: string;
  /** Where the package is looked up from (default: this module's folder, as `require` would). */
  resolveFrom?: string;
  /** The graph the child opens and runs (default: the shipped short-range BlazeFace, 0.4 MB). */
  model?: string;
  /** Where a pass is remembered (default: the optimised-model cache's folder; undefined: not remembered). */
  cacheDir?: string;
  /** How long the child may take before it counts as hung. */
  timeoutMs?: number;
}

const CHILD = path.join(__dirname, 'native-runtime-child.js');
const DEFAULT_MODEL = path.resolve(__dirname, '..', '..', '..', 'models', 'blazeface-short.onnx');
/** Generous: a Raspberry Pi starting every service at boot, or an emulator, is slow; a hang is not. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** The optional dependency that holds this platform's native runtime. */
export function nativePackageName(platform: string = process.platform, arch: string = process.arch): string {
  return `@lightexnet/onnxruntime-${platform}-${arch}`;
}

const checks = new Map<string, Promise<NativeRuntimeVerdict>>();
const keyOf = (opts: NativeCheckOptions) => JSON.stringify([opts.packageName, opts.resolveFrom, opts.model, opts.cacheDir]);

/**
 * Checks the package once per thread (and, once it passed, once per machine, runtime and Node version). The
 * inference pool checks in the thread that starts it and hands the verdict to its workers (seedNativeCheck),
 * so that a process starts one child, not one per worker.
 */
export function checkNativeRuntime(opts: NativeCheckOptions): Promise<NativeRuntimeVerdict> {
  const key = keyOf(opts);
  let p = checks.get(key);
  if (!p) {
    p = runCheck(opts);
    checks.set(key, p);
  }
  return p;
}

/** The verdict another thread reached for this platform's runtime package, taken as this thread's own. */
export function seedNativeCheck(verdict: NativeRuntimeVerdict): void {
  checks.set(keyOf({ packageName: nativePackageName() }), Promise.resolve(verdict));
}

async function runCheck(opts: NativeCheckOptions): Promise<NativeRuntimeVerdict> {
  let pkgDir: string;
  let version: string;
  try {
    const manifest = require.resolve(`${opts.packageName}/package.json`, { paths: [opts.resolveFrom ?? __dirname] });
    pkgDir = path.dirname(manifest);
    // Both small files read synchronously: at a start libuv's threads are busy reading the models, and the
    // runtime loads only once this answers (three trips each through them left the thread idle ~10 ms).
    version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '?';
  } catch (err) {
    return { kind: 'unchecked', reason: `${opts.packageName} not found: ${(err as Error).message.split('\n')[0]}` };
  }
  const dir = 'cacheDir' in opts ? opts.cacheDir : cacheDirectory().dir;
  const marker = dir ? markerPath(dir, opts.packageName, version) : undefined;
  const remembered = marker && readMarker(marker);
  if (remembered) return { kind: 'ok', remembered: true, decoder: remembered };

  const verdict = await runChild(pkgDir, opts.model ?? DEFAULT_MODEL, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (verdict.kind === 'ok' && marker) {
    // Written by rename, so that another process never reads half of it; best effort (it only saves a check).
    const tmp = `${marker}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`; // workers share the pid
    const note = {
      package: opts.packageName,
      version,
      node: process.version,
      decoder: verdict.decoder,
      checked: new Date().toISOString(),
    } satisfies Marker;
    await writeFile(tmp, JSON.stringify(note), { mode: 0o600 })
      .then(() => rename(tmp, marker))
      .catch(() => undefined);
  }
  return verdict;
}

/** What a marker of a pass holds. */
interface Marker {
  package: string;
  version: string;
  node: string;
  decoder: NativeDecoderState;
  checked: string;
}

const DECODER_STATES: readonly string[] = ['ok', 'crashed', 'failed', 'absent'] satisfies NativeDecoderState[];

/** The decoder's state a marker remembers; undefined when there is none (or one written before decoders). */
function readMarker(marker: string): NativeDecoderState | undefined {
  try {
    const { decoder } = JSON.parse(readFileSync(marker, 'utf8')) as Partial<Marker>;
    return typeof decoder === 'string' && DECODER_STATES.includes(decoder) ? decoder : undefined;
  } catch {
    return undefined;
  }
}

/** The marker of a pass for this package version, Node version and CPU, in a folder of ours; else undefined. */
function markerPath(dir: string, packageName: string, version: string): string | undefined {
  if (ensurePrivateDirectory(dir) !== undefined) return undefined; // not ours: neither trusted nor written
  const key = keyHash(`${packageName}@${version}|${process.version}|${machineFingerprint()}`);
  return path.join(dir, `native-runtime-${key}.ok`);
}

function runChild(pkgDir: string, model: string, timeoutMs: number): Promise<NativeRuntimeVerdict> {
  // An embedding runtime (Electron) runs its own app for process.execPath unless told to act as Node.
  const env = process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env;
  const options = { env, timeout: timeoutMs, killSignal: 'SIGKILL' as const, windowsHide: true, maxBuffer: 1 << 20 };
  return new Promise((resolve) => {
    try {
      childProcess().execFile(process.execPath, [CHILD, pkgDir, model], options, (err, stdout, stderr) =>
        resolve(verdictOf(err, stdout, stderr, timeoutMs)),
      );
    } catch (err) {
      // A process not allowed to start others (Node's permission model) throws here rather than calling back.
      resolve({ kind: 'unchecked', reason: `no test process ran (${(err as Error).message})` });
    }
  });
}

/** What the child's output and end say (native-runtime-child.ts says what it printed when). */
function verdictOf(
  err: (Error & { code?: string | number | null; killed?: boolean; signal?: NodeJS.Signals | null }) | null,
  stdout: string,
  stderr: string,
  timeoutMs: number,
): NativeRuntimeVerdict {
  const lines = stdout.split('\n');
  const answer = lines.find((l) => l === 'ok' || l.startsWith('error: '));
  const decoder: NativeDecoderState = lines.includes('decoder ok')
    ? 'ok'
    : lines.some((l) => l.startsWith('decoder error: '))
      ? 'failed'
      : lines.includes('decoder loading')
        ? 'crashed'
        : 'absent';
  if (answer === 'ok') return { kind: 'ok', remembered: false, decoder };
  if (answer) return { kind: 'unchecked', reason: answer.slice('error: '.length) };
  // No "started": the script never ran (no process could be started, or not as Node): nothing learnt.
  if (!lines.includes('started'))
    return { kind: 'unchecked', reason: `no test process ran (${err?.message.split('\n')[0] ?? 'no output'})` };
  // The runtime passed and the child died after: what it was testing next (the decoder) is what crashed.
  if (lines.includes('runtime ok')) return { kind: 'ok', remembered: false, decoder: 'crashed' };
  if (err?.killed) return { kind: 'crashed', reason: `did not load within ${Math.round(timeoutMs / 1000)} s in a test process` };
  if (err?.signal) return { kind: 'crashed', reason: `crashed (${err.signal}) when loaded in a test process` };
  const said = stderr.trim().split('\n').pop()?.slice(0, 200);
  return { kind: 'crashed', reason: `ended a test process without answering (exit code ${err?.code ?? 0}${said ? `: ${said}` : ''})` };
}

/** node:child_process, loaded when a check runs (~4 ms at start-up otherwise, where the pass is remembered). */
function childProcess(): typeof ChildProcess {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a check runs
  return require('node:child_process') as typeof ChildProcess;
}
