/**
 * A model file read and checked where its session opens. Inference workers read their own copy: sending
 * the classifier's 13 MB to each worker cost the main thread (Node-RED's only thread) a structured clone per
 * worker, and kept the workers waiting for it.
 */
import { readFileHashed } from './file-read';

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** A model on disk, with the sha256 its manifest lists (checked at every read when present). */
export interface ModelFile {
  path: string;
  sha256?: string;
}

/** What a session is opened from: the bytes themselves, or a file each thread reads. */
export type ModelSource = Uint8Array | ModelFile;

export function isModelFile(source: ModelSource): source is ModelFile {
  return !(source instanceof Uint8Array);
}

/** Reads a model file and checks its sha256 against the manifest's. Throws ModelLoadError saying what is wrong. */
export async function readModelFile(file: ModelFile): Promise<Uint8Array> {
  let bytes: Buffer;
  let sha: string;
  try {
    ({ bytes, sha256: sha } = await readFileHashed(file.path));
  } catch (err) {
    throw new ModelLoadError(`model file ${file.path} ${unreadable(err)}`);
  }
  if (file.sha256 && sha !== file.sha256) {
    throw new ModelLoadError(`model file ${file.path} is damaged or replaced: sha256 ${sha}, manifest says ${file.sha256}`);
  }
  return bytes;
}

/** The bytes of a source, reading a file where needed. */
export function modelBytes(source: ModelSource): Promise<Uint8Array> {
  return isModelFile(source) ? readModelFile(source) : Promise.resolve(source);
}

/** Why a file could not be read, in words (not only the errno code). */
export function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not found (ENOENT)';
  if (code === 'EISDIR') return 'is a directory, not a file (EISDIR)';
  if (code === 'EACCES' || code === 'EPERM') return `cannot be read: permission denied (${code})`;
  return `cannot be read (${code ?? (err as Error).message})`;
}
