/**
 * ONNX Runtime's optimised form of each model, kept on disk so that a later start loads it instead of
 * optimising the graph again. Native runtime only.
 *
 * Why: the classifier's session took ~245 ms to open on our 2-core machines. About 80 ms of that is graph
 * optimisation: fusions, and the NCHWc blocked layout with its weight reorders. Most of the rest is copying
 * the initializers, twice (out of the protobuf, then into the session's tensors). The optimised graph, saved
 * in ORT format and loaded with its bytes used in place, copies no weights: ~4,000 page faults to open the
 * classifier instead of ~10,000, and ~15 MB less memory per process. The price: ORT format keeps each
 * tensor's data 4-byte aligned, and the networks run 2-4 % slower on such weights than on the runtime's
 * 64-byte aligned copies (measured in one process, turn about, on a 2-core virtual machine).
 *
 * The saved graph fits the machine that wrote it (the NCHWc block size follows the CPU's vector width), and
 * the runtime version that wrote it. So the cache key holds the model's sha256, the runtime's version, the
 * platform, and the CPU's model and feature flags. Each file has a sidecar with its sha256 (a damaged file is
 * removed and the model opens from its original) and the size and time of the model file it was made from:
 * a model file changed since then is read and checked against its manifest again, as without the cache.
 * Files are written by rename, so a reader never sees half a file. Two processes writing the same entry at
 * once may leave the file of one and the sidecar of the other (the runtime's output differs from write to
 * write); the next reader finds the mismatch and makes the entry again. The directory must be ours and not
 * writable by others: a model file decides what runs.
 *
 * LIGHTEXNET_CACHE_DIR picks the directory; `off` turns the cache off. The default is
 * $XDG_CACHE_HOME/lightexnet, else ~/.cache/lightexnet.
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, Stats } from 'node:fs';
import { chmod, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readWhole } from './file-read';
import { crypto, keyHash, sha256Hex } from './lazy-crypto';

/** What the cache did for one session: served it, saved it, or stood aside (and why). */
export type CacheOutcome = 'used' | 'written' | `off: ${string}`;

/** The directory the cache would use, or why there is none. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): { dir?: string; off?: string } {
  const asked = env.LIGHTEXNET_CACHE_DIR?.trim();
  if (asked && asked.toLowerCase() === 'off') return { off: 'LIGHTEXNET_CACHE_DIR=off' };
  if (asked) return { dir: path.resolve(asked) };
  const base = env.XDG_CACHE_HOME?.trim() || (os.homedir() ? path.join(os.homedir(), '.cache') : '');
  return base ? { dir: path.join(base, 'lightexnet') } : { off: 'no home directory for a cache' };
}

let machine: string | undefined;

/** The CPU as the runtime's kernels see it: model name, and on Linux its feature flags (x86 "flags",
 *  ARM "Features"). */
export function machineFingerprint(): string {
  if (machine === undefined) {
    let flags = '';
    try {
      flags = /^(?:flags|Features)\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? '';
    } catch {
      // not Linux: the model name below stands for the CPU
    }
    machine = `${process.platform}|${process.arch}|${os.cpus()[0]?.model ?? '?'}|${flags}`;
  }
  return machine;
}

/** The files' format, in the key so that the ONNX-format files earlier builds wrote (by mistake) are replaced. */
const FORMAT = 'ort-format';

/** The cache key of a model (its sha256) optimised by a runtime (its name and version) on this machine. */
export function cacheKey(modelSha256: string, runtime: string): string {
  return keyHash(`${modelSha256}|${runtime}|${FORMAT}|${machineFingerprint()}`);
}

export interface OptimizedModelEntry {
  /** The ORT-format file for this model, runtime and machine. */
  file: string;
  /** Its sha256 sidecar. */
  sidecar: string;
  /** Files of the same model name under other keys (an older model or runtime): removed after a write, unless made
   *  from another model file that still exists. */
  stem: string;
  dir: string;
}

export function cacheEntry(dir: string, name: string, key: string): OptimizedModelEntry {
  const stem = name.replace(/[^A-Za-z0-9._-]/g, '_');
  const file = path.join(dir, `${stem}-${key}.ort`);
  return { file, sidecar: `${file}.sha256`, stem, dir };
}

/** Makes the directory (mode 700) and checks that it is a real directory of ours that no one else can write.
 *  Synchronous (microseconds): it comes before a model's read, which should start at once. */
export function ensurePrivateDirectory(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return `${dir} is a symbolic link`;
    if (!st.isDirectory()) return `${dir} is not a directory`;
    if (process.platform !== 'win32') {
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to another user`;
      if ((st.mode & 0o022) !== 0) return `${dir} is writable by others`;
    }
    return undefined;
  } catch (err) {
    return `${dir}: ${(err as Error).message}`;
  }
}

/** The model file a cached entry was made from, as it was when its sha256 was checked. */
export interface SourceStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * The cached file itself when its sha256 was last checked: while the file keeps the same inode, size, and
 * modification and change times, it is the file that was checked, and is used without hashing it again
 * (as a model file is, through its SourceStamp). The change time cannot be set back by a user's tools.
 */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** What the sidecar holds: the cached file's sha256, the file as it was when that was checked, and the source
 *  file it was last checked against. */
export interface Sidecar {
  sha256: string;
  file?: FileStamp;
  source?: SourceStamp;
}

const fileStamp = (st: Stats): FileStamp => ({ ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });

const sameFile = (a: FileStamp | undefined, b: FileStamp) =>
  a !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

export const sameStamp = (a: SourceStamp | undefined, b: SourceStamp) =>
  a !== undefined && a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * The cached bytes when the file is there and matches its sidecar; a damaged entry is removed. The file is
 * opened, sized and its sidecar read synchronously (microseconds), so that the read itself is under way in
 * libuv's threads when this returns: a worker's first open reads the model while it loads the runtime. Its
 * sha256 is checked when the file is not the one last checked (FileStamp), and the sidecar then updated.
 */
export function readCached(entry: OptimizedModelEntry): Promise<{ bytes: Uint8Array; sidecar: Sidecar } | undefined> {
  let fd: number;
  try {
    fd = openSync(entry.file, 'r');
  } catch {
    return Promise.resolve(undefined); // not cached
  }
  let st: Stats;
  let side: Sidecar;
  try {
    st = fstatSync(fd);
    side = JSON.parse(readFileSync(entry.sidecar, 'utf8')) as Sidecar;
    if (typeof side.sha256 !== 'string') throw new Error('no sha256');
  } catch {
    closeSync(fd);
    return Promise.resolve(undefined); // half an entry, or an unreadable sidecar: the next write replaces both
  }
  return readWhole(fd, st.size)
    .finally(() => closeSync(fd))
    .then(
      async (bytes) => {
        const stamp = fileStamp(st);
        if (sameFile(side.file, stamp)) return { bytes, sidecar: side };
        if (sha256Hex(bytes) !== side.sha256) {
          await discard(entry);
          return undefined;
        }
        const checked = { ...side, file: stamp };
        await writeSidecar(entry, checked).catch(() => undefined);
        return { bytes, sidecar: checked };
      },
      () => undefined,
    );
}

/** Writes an entry's sidecar (by rename: a reader never sees half of it). */
export async function writeSidecar(entry: OptimizedModelEntry, side: Sidecar): Promise<void> {
  const tmp = path.join(entry.dir, `.${path.basename(entry.sidecar)}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, JSON.stringify(side), { mode: 0o600 });
  await rename(tmp, entry.sidecar);
}

/** Removes an entry (a damaged file, or one the runtime refused). */
export async function discard(entry: OptimizedModelEntry): Promise<void> {
  await Promise.all([rm(entry.file, { force: true }), rm(entry.sidecar, { force: true })]).catch(() => undefined);
}

/** A temporary path in the cache's directory for the runtime to write the optimised model to. */
export function scratchPath(entry: OptimizedModelEntry): string {
  return path.join(entry.dir, `.${path.basename(entry.file)}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Publishes what the runtime wrote to `scratch`: sidecar first, then the file, each by rename (a reader
 * that finds the file finds its sidecar). Other keys of the same model name are removed.
 */
export async function commit(entry: OptimizedModelEntry, scratch: string, source?: SourceStamp): Promise<void> {
  try {
    const bytes = await readFile(scratch);
    await chmod(scratch, 0o600);
    const side: Sidecar = { sha256: sha256Hex(bytes), source };
    await writeSidecar(entry, side);
    await rename(scratch, entry.file);
    // The file as it now is (a rename changes its change time), so that the next start need not hash it.
    await writeSidecar(entry, { ...side, file: fileStamp(await stat(entry.file)) });
    await removeStale(entry, source);
  } finally {
    await rm(scratch, { force: true }).catch(() => undefined);
  }
}

/**
 * Removes the entries of the same model name under other keys (an older version of the model, or of the runtime),
 * and scratch files a crash left (over an hour old). An entry made from another model file that is still there (a
 * second model that happens to have the same file name) stays: removing it would make the two evict each other at
 * every open, each start optimising again.
 */
async function removeStale(entry: OptimizedModelEntry, source?: SourceStamp): Promise<void> {
  const mine = path.basename(entry.file);
  const stem = entry.stem.replace(/[.]/g, '\\.');
  const otherKey = new RegExp(`^${stem}-[0-9a-f]{20}\\.ort(\\.sha256)?$`);
  const scratch = new RegExp(`^\\.${stem}-[0-9a-f]{20}\\.ort.*\\.tmp$`);
  const hourAgo = Date.now() - 3_600_000;
  for (const f of await readdir(entry.dir)) {
    const p = path.join(entry.dir, f);
    if (otherKey.test(f) && !f.startsWith(mine)) {
      // The file and its sidecar, each judged by the sidecar.
      if (await fromAnotherLiveFile(`${p.replace(/\.sha256$/, '')}.sha256`, source)) continue;
      await rm(p, { force: true });
    } else if (scratch.test(f)) {
      const st = await stat(p).catch(() => undefined);
      if (st && st.mtimeMs < hourAgo) await rm(p, { force: true });
    }
  }
}

/** Whether a cached entry (by its sidecar) was made from a model file other than `source` that still exists. */
async function fromAnotherLiveFile(sidecar: string, source?: SourceStamp): Promise<boolean> {
  let from: SourceStamp | undefined;
  try {
    from = (JSON.parse(await readFile(sidecar, 'utf8')) as Sidecar).source;
  } catch {
    return false; // no readable sidecar: nothing to keep it for
  }
  if (!from || typeof from.path !== 'string' || from.path === source?.path) return false;
  return stat(from.path).then(
    () => true,
    () => false,
  );
}
