'use strict';
/**
 * Cold start: from loading the package to the first classified frame (both models at their defaults, one
 * 640x480 JPEG). Run it a few times: the first run after boot also pays for the disk. Prints JSON, with the
 * process's minor page faults until the first result and what one costs here (first touch of a fresh page).
 *
 *   npm run build && node bench/cold-start.js   [LIGHTEXNET_WORKERS=0 for the in-thread path]
 *
 * Opening a model natively the first time saves its optimised form (optimized-model-cache.ts); later starts
 * load that. LIGHTEXNET_CACHE_DIR=<empty folder> measures a first start, =off the start without the cache.
 */
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
