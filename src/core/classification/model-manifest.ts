/**
 * Classifier model manifests: the JSON file next to each .onnx in models/ that says how to feed it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ViewsSpec } from './test-time-views';
import { ModelFile, ModelLoadError, unreadable } from '../runtime/model-file';

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

export const MODELS_DIR = path.resolve(__dirname, '..', '..', '..', 'models');
export const DEFAULT_CLASSIFIER = 'lightexnet-fer2013';

export { ModelLoadError };

/** Resolves a model name (a manifest in models/) or a path to a manifest .json. */
export function manifestPath(nameOrPath: string = DEFAULT_CLASSIFIER): string {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes(path.sep)) {
    return path.resolve(nameOrPath);
  }
  return path.join(MODELS_DIR, `${nameOrPath}.json`);
}

export function readManifest(nameOrPath?: string): Promise<{ manifest: ModelManifest; path: string }> {
  return new Promise((resolve) => resolve(manifestAt(manifestPath(nameOrPath))));
}

function manifestAt(p: string): { manifest: ModelManifest; path: string } {
  let text: string;
  try {
    // Synchronously (4 KB): see readBlazeFaceIndex (face-detector.ts).
    text = readFileSync(p, 'utf8');
  } catch (err) {
    throw new ModelLoadError(`model manifest ${p} ${unreadable(err)}`);
  }
  let m: ModelManifest;
  try {
    m = JSON.parse(text) as ModelManifest;
  } catch (err) {
    throw new ModelLoadError(`model manifest ${p} is not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  /* eslint-disable @typescript-eslint/no-unnecessary-condition -- JSON from disk: the type says what it should be, this checks that it is */
  if (typeof m.file !== 'string') problems.push('file');
  if (!Array.isArray(m.labels) || m.labels.length < 2) problems.push('labels');
  if (!m.input || !(m.input.width > 0) || !(m.input.height > 0) || ![1, 3].includes(m.input.channels)) problems.push('input');
  if (!m.output || typeof m.output.name !== 'string') problems.push('output');
  if (!m.normalization || !(m.normalization.std > 0)) problems.push('normalization');
  if (!m.crop || !(m.crop.scale > 0)) problems.push('crop');
  /* eslint-enable @typescript-eslint/no-unnecessary-condition */
  if (m.views !== undefined && !validViews(m.views)) problems.push('views');
  if (problems.length) throw new ModelLoadError(`model manifest ${p} is missing or has invalid: ${problems.join(', ')}`);
  return { manifest: m, path: p };
}

function validViews(v: ViewsSpec): boolean {
  const n = Array.isArray(v.list) ? v.list.length : 0;
  const count = (d: unknown) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= n;
  return (
    typeof v.input === 'string' &&
    v.size > 0 &&
    n > 0 &&
    count(v.default) &&
    (v.wasmDefault === undefined || count(v.wasmDefault)) &&
    v.list.every((x) => Number.isFinite(x.angle) && x.scale > 0 && typeof x.flip === 'boolean')
  );
}

/** The manifest's .onnx file, for a session to read and check (in the thread that opens it). */
export function modelFileOf(manifest: ModelManifest, manifestFile: string): ModelFile {
  return { path: path.resolve(path.dirname(manifestFile), manifest.file), sha256: manifest.sha256 || undefined };
}

/** What a loaded ONNX session declares (onnxruntime-common's InferenceSession metadata). */
export interface GraphSignature {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata?: readonly { name: string; isTensor?: boolean; shape?: readonly (number | string)[] }[];
  outputMetadata?: readonly { name: string; isTensor?: boolean; shape?: readonly (number | string)[] }[];
}

/**
 * Checks a manifest against the graph it describes, at load: a wrong name would otherwise show "ready"
 * and fail every frame, and a wrong input size would run silently on the wrong crops. Throws
 * ModelLoadError listing every mismatch.
 */
export function checkManifestAgainstGraph(m: ModelManifest, g: GraphSignature, where: string): void {
  const problems: string[] = [];
  if (!g.inputNames.includes(m.input.name))
    problems.push(`input "${m.input.name}" is not in the graph (inputs: ${g.inputNames.join(', ')})`);
  if (!g.outputNames.includes(m.output.name))
    problems.push(`output "${m.output.name}" is not in the graph (outputs: ${g.outputNames.join(', ')})`);
  if (m.views && !g.inputNames.includes(m.views.input)) problems.push(`views input "${m.views.input}" is not in the graph`);
  const extra = g.inputNames.filter((n) => n !== m.input.name && n !== m.views?.input);
  if (extra.length) problems.push(`the graph needs inputs the manifest does not describe: ${extra.join(', ')}`);
  // Fixed dimensions must agree; symbolic ones ("batch", "height") accept anything.
  const shape = g.inputMetadata?.find((x) => x.name === m.input.name)?.shape;
  if (shape && shape.length === 4) {
    const want = [undefined, m.input.channels, m.input.height, m.input.width];
    const names = ['batch', 'channels', 'height', 'width'];
    shape.forEach((d, i) => {
      if (i > 0 && typeof d === 'number' && d !== want[i])
        problems.push(`input ${names[i]} is ${d} in the graph, ${want[i]} in the manifest`);
    });
  } else if (shape && shape.length !== 4) {
    problems.push(`input "${m.input.name}" has ${shape.length} dimensions; N x C x H x W expected`);
  }
  // The views' grids are V x S x S x 2 at the network's own input size S.
  const grid = m.views ? g.inputMetadata?.find((x) => x.name === m.views?.input)?.shape : undefined;
  if (m.views && grid && typeof grid[1] === 'number' && grid[1] !== m.views.size) {
    problems.push(`views size is ${m.views.size} in the manifest, ${grid[1]} in the graph`);
  }
  const out = g.outputMetadata?.find((x) => x.name === m.output.name)?.shape;
  const k = out?.[out.length - 1];
  if (typeof k === 'number' && k !== m.labels.length) problems.push(`output has ${k} classes, the manifest ${m.labels.length} labels`);
  if (problems.length) throw new ModelLoadError(`model ${where} does not match its manifest: ${problems.join('; ')}`);
}
