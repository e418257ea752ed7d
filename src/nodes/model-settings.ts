/**
 * The model and runtime settings of an inference node: from the lightexnet-config node it names, shared
 * by every node that names it, or, for a node without one (every flow made before the config node
 * existed), from the node's own properties. That fallback is the runtime half of the migration: old flows
 * run as they did; the editor offers to move a node's own settings into a config node.
 */
import { ExpressionClassifier } from '../core/classification/expression-classifier';
import type { DetectorModel } from '../core/detection/face-detector';
import { BACKEND_REQUESTS, BackendRequest } from '../core/runtime/onnx-backend';
import { CONFIG_DEFAULTS } from './defaults';
import { positiveInt, Releasable } from './inference-node';
import { Node, NodeAPI, NodeDef } from './node-red-types';

export interface ModelSettings {
  /** A model name in models/ or a path to its manifest. */
  classifier: string;
  /** Test-time views per face; undefined = the model's default for the runtime. */
  views?: number;
  /** Faces whose eye line tilts further are levelled to this many degrees; undefined = the classifier's
   *  default, Infinity = never. */
  levelBeyond?: number;
  detector: DetectorModel;
  runtime: BackendRequest;
  /** Intra-op threads per session. */
  threads: number;
}

/** A lightexnet-config node as the runtime holds it. */
export interface ModelConfigNode extends Node {
  settings: ModelSettings;
}

/** The most intra-op threads a session may be given (the editor's limit too). */
export const MAX_THREADS = 64;

/**
 * Reads settings from a config node's properties or a node's own. `detectorKey` is where the node keeps
 * its detector choice (face-detect calls it `model`).
 */
export function parseModelSettings(def: NodeDef, detectorKey = 'detector'): ModelSettings {
  const d = CONFIG_DEFAULTS;
  const detector = def[detectorKey];
  const runtime = def.runtime as BackendRequest;
  const views = def.views === undefined || def.views === '' ? undefined : Number(def.views);
  return {
    classifier: typeof def.classifier === 'string' && def.classifier.trim() ? def.classifier.trim() : d.classifier,
    views: views !== undefined && Number.isFinite(views) ? views : undefined,
    levelBeyond: parseLevel(def.level),
    detector: detector === 'short' || detector === 'full' ? detector : d.detector,
    runtime: BACKEND_REQUESTS.includes(runtime) ? runtime : d.runtime,
    threads: Math.min(positiveInt(def.threads, d.threads), MAX_THREADS),
  };
}

/** A node's `level` property: '' (the default), 'off', or degrees 0-90; anything else is the default. */
export function parseLevel(v: unknown): number | undefined {
  if (v === 'off') return Infinity;
  if (v === '' || v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 90 ? n : undefined;
}

/**
 * The settings a node runs with. Throws when it names a config node that is not there (deleted, or
 * disabled with its flow), rather than quietly running on defaults the user did not choose.
 */
export function modelSettingsOf(RED: NodeAPI, def: NodeDef, detectorKey = 'detector'): ModelSettings {
  const id = typeof def.config === 'string' ? def.config.trim() : '';
  if (!id) return parseModelSettings(def, detectorKey);
  const config = RED.nodes.getNode(id) as Partial<ModelConfigNode> | null | undefined;
  if (!config?.settings) throw new Error(`its model settings node (lightexnet-config ${id}) is missing: deploy or choose one`);
  return config.settings;
}

/** The classifier these settings open (one mapping for every node that classifies). */
export function openClassifier(s: ModelSettings): Promise<ExpressionClassifier> {
  return ExpressionClassifier.create({
    model: s.classifier,
    views: s.views,
    levelBeyond: s.levelBeyond,
    threads: s.threads,
    runtime: s.runtime,
  });
}

/**
 * Opens models side by side (a detector's conversion overlaps a classifier's session). If one fails, the
 * others are released and the first failure is thrown: nothing is left holding a session.
 */
export async function openModels<T extends readonly (() => Promise<Releasable | undefined>)[]>(
  ...open: T
): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const settled: PromiseSettledResult<Releasable | undefined>[] = await Promise.allSettled(open.map((f) => f()));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const r of settled) if (r.status === 'fulfilled') await r.value?.release();
    throw failed.reason;
  }
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { [K in keyof T]: Awaited<ReturnType<T[K]>> };
}
