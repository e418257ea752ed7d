'use strict';
/**
 * Cold start: from loading the package to the first classified frame (both models at their defaults, one
 * 640x480 JPEG). Run it a few times: the first run after boot also pays for the disk. Prints JSON, with the
 * process's minor page faults until the first result and what one costs here (first touch of a fresh page).
 *
 *   npm run build && node bench/cold-start.js   [--runs N]   [LIGHTEXNET_WORKERS=0 for the in-thread path]
 *
 * --runs N starts N fresh processes one after the other and prints each one's figures and the medians. Time
 * starts beside nothing else: on a 2-core machine another process starting at the same time (a shell pipe into
 * an interpreter, say) takes the core the start uses (docs/performance.md, session 26).
 *
 * Opening a model natively the first time saves its optimised form (optimized-model-cache.ts); later starts
 * load that. LIGHTEXNET_CACHE_DIR=<empty folder> measures a first start, =off the start without the cache.
 */
const runsArg = process.argv.indexOf('--runs');
if (runsArg > 0) {
  const runs = Number(process.argv[runsArg + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number of runs');
  const { execFileSync } = require('node:child_process');
  const results = [];
  for (let i = 0; i < runs; i++) {
    // Synchronous: this process waits, idle, while each run has the machine to itself.
    const out = execFileSync(process.execPath, [__filename], { encoding: 'utf8' });
    results.push(JSON.parse(out));
    console.log(out.trim());
  }
  const median = (k) => {
    const v = results.map((r) => r[k]).sort((a, b) => a - b);
    return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const keys = ['firstResultMs', 'cpuMs', 'minorPageFaults', 'usPerPageFault'];
  console.log(JSON.stringify({ runs, medians: Object.fromEntries(keys.map((k) => [k, median(k)])) }));
  return;
}
const t0 = performance.now();
const core = require('../dist/core');
const tRequire = performance.now() - t0;
const fs = require('node:fs');
const path = require('node:path');
const { cacheDirectory } = require('../dist/core/runtime/optimized-model-cache');

// Whether the optimised-model cache already held models at the start (a later start) or not (the first).
const { dir: cacheDir } = cacheDirectory();
const cachedModels = cacheDir && fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith('.ort')).length : 0;

(async () => {
  const frame = fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'astronaut-640x480.jpg'));
  const [detector, classifier] = await Promise.all([core.FaceDetector.create(), core.ExpressionClassifier.create()]);
  const tLoaded = performance.now() - t0;
  const r = await core.classifyFrame(detector, classifier, frame);
  const tFirst = performance.now() - t0;
  const usage = process.resourceUsage();
  const faults = usage.minorPageFault;
  // CPU time of every thread of the process until then: start-up keeps both cores of a 2-core machine busy,
  // so work saved shows here even when the machine's noise hides it in the wall-clock figure.
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  // What one first touch of a fresh page costs on this machine (a virtual machine pays the host for each):
  // the cold start is mostly such touches (the runtime's copies of the weights), so this says how much of it
  // is the machine rather than the work.
  const pages = 4096;
  const fresh = Buffer.allocUnsafeSlow(pages * 4096);
  const tTouch = performance.now();
  for (let i = 0; i < fresh.length; i += 4096) fresh[i] = 1;
  const usPerFault = ((performance.now() - tTouch) * 1000) / pages;
  console.log(
    JSON.stringify({
      workers: process.env.LIGHTEXNET_WORKERS ?? 'default',
      backend: detector.backend,
      requireMs: Math.round(tRequire),
      modelsLoadedMs: Math.round(tLoaded),
      firstResultMs: Math.round(tFirst),
      faces: r.faces.length,
      cpuMs: Math.round(cpuMs),
      minorPageFaults: faults,
      usPerPageFault: Math.round(usPerFault * 10) / 10,
      modelCache: cacheDir ? `${cachedModels} models cached at the start (${cacheDir})` : 'off',
    }),
  );
  await Promise.all([detector.release(), classifier.release()]);
})();
