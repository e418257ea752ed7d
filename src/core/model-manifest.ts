/**
 * Classifier model manifests: the JSON file next to each .onnx in models/ that says how to feed it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ViewsSpec } from './test-time-views';

export interface CropPolicy {
  /**
   * Square crop around a BlazeFace box: side = box side x `scale`, centre = box centre shifted by
   * (`offsetX`, `offsetY`) x box side. Calibrated so a detected face is framed like a FER2013 image.
   */
  scale: number;
  offsetX: number;
  offsetY: number;
}

export interface ModelManifest {
  name: string;
  /** The .onnx file, relative to the manifest. */
  file: string;
  sha256: string;
  labels: string[];
  input: { name: string; width: number; height: number; channels: 1 | 3 };
  output: { name: string; kind: 'logits' | 'probabilities' };
  /** Pixel p in 0..255 becomes (p / 255 - mean) / std. */
  normalization: { mean: number; std: number };
  crop: CropPolicy;
  /** Test-time views the graph averages over (absent: a single-input graph, one view). */
  views?: ViewsSpec;
  /** Free-form provenance: training data, accuracy, params, MACs. */
  training?: Record<string, unknown>;
  accuracy?: Record<string, unknown>;
}

export const MODELS_DIR = path.resolve(__dirname, '..', '..', 'models');
export const DEFAULT_CLASSIFIER = 'lightexnet-fer2013';

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** Resolves a model name (a manifest in models/) or a path to a manifest .json. */
export function manifestPath(nameOrPath: string = DEFAULT_CLASSIFIER): string {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes(path.sep)) {
    return path.resolve(nameOrPath);
  }
  return path.join(MODELS_DIR, `${nameOrPath}.json`);
}

export async function readManifest(nameOrPath?: string): Promise<{ manifest: ModelManifest; path: string }> {
  const p = manifestPath(nameOrPath);
  let text: string;
  try {
    text = await readFile(p, 'utf8');
  } catch (err) {
    throw new ModelLoadError(`model manifest not found: ${p} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let m: ModelManifest;
  try {
    m = JSON.parse(text) as ModelManifest;
  } catch (err) {
    throw new ModelLoadError(`model manifest ${p} is not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  if (typeof m.file !== 'string') problems.push('file');
  if (!Array.isArray(m.labels) || m.labels.length < 2) problems.push('labels');
  if (!m.input || !(m.input.width > 0) || !(m.input.height > 0) || ![1, 3].includes(m.input.channels)) problems.push('input');
  if (!m.output || typeof m.output.name !== 'string') problems.push('output');
  if (!m.normalization || !(m.normalization.std > 0)) problems.push('normalization');
  if (!m.crop || !(m.crop.scale > 0)) problems.push('crop');
  if (m.views !== undefined && !validViews(m.views)) problems.push('views');
  if (problems.length) throw new ModelLoadError(`model manifest ${p} is missing or has invalid: ${problems.join(', ')}`);
  return { manifest: m, path: p };
}

function validViews(v: ViewsSpec): boolean {
  const n = Array.isArray(v.list) ? v.list.length : 0;
  return typeof v.input === 'string' && v.size > 0 && n > 0 && Number.isInteger(v.default) && v.default >= 1 && v.default <= n &&
    v.list.every((x) => Number.isFinite(x.angle) && x.scale > 0 && typeof x.flip === 'boolean');
}

/** Reads the manifest's .onnx file and checks its sha256. */
export async function readModelBytes(manifest: ModelManifest, manifestFile: string): Promise<Uint8Array> {
  const file = path.resolve(path.dirname(manifestFile), manifest.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ModelLoadError(`model file not found: ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (manifest.sha256 && sha !== manifest.sha256) {
    throw new ModelLoadError(`model file ${file} is damaged or replaced: sha256 ${sha}, manifest says ${manifest.sha256}`);
  }
  return bytes;
}
