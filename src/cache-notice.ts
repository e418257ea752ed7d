/**
 * The command line's word on the optimised-model cache (optimized-model-cache.ts): when it cannot be used
 * (an unusable folder, a failed save), every later start opens the models slower, so say why on stderr,
 * once per process. The nodes say the same with node.warn (nodes/inference-node.ts).
 */
import type { BackendInfo } from './core/runtime/onnx-backend';

let said = false;

export function warnIfCacheUnused(...models: { backendInfo: BackendInfo }[]): void {
  const problem = models.map((m) => m.backendInfo.cacheProblem).find(Boolean);
  if (!problem || said) return;
  said = true;
  console.error(`lightexnet: warning: optimised-model cache not used (${problem}); models will open slower at each start`);
}
