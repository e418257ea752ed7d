'use strict';
/**
 * Cold start: from loading the package to the first classified frame (both models at their defaults, one
 * 640x480 JPEG). Run it a few times: the first run after boot also pays for the disk. Prints JSON.
 *
 *   npm run build && node bench/cold-start.js   [LIGHTEXNET_WORKERS=0 for the in-thread path]
 */
const t0 = performance.now();
const core = require('../dist/core');
const tRequire = performance.now() - t0;
const fs = require('node:fs');
const path = require('node:path');

(async () => {
  const frame = fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'astronaut-640x480.jpg'));
  const [detector, classifier] = await Promise.all([core.FaceDetector.create(), core.ExpressionClassifier.create()]);
  const tLoaded = performance.now() - t0;
  const r = await core.classifyFrame(detector, classifier, frame);
  const tFirst = performance.now() - t0;
  console.log(
    JSON.stringify({
      workers: process.env.LIGHTEXNET_WORKERS ?? 'default',
      backend: detector.backend,
      requireMs: Math.round(tRequire),
      modelsLoadedMs: Math.round(tLoaded),
      firstResultMs: Math.round(tFirst),
      faces: r.faces.length,
    }),
  );
  await Promise.all([detector.release(), classifier.release()]);
})();
