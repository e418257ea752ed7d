'use strict';
/**
 * Latency per 640x480 frame (one face), median of many runs, one intra-op thread:
 * BlazeFace short/full detection and LightExNet classification per face (fp32 and, if present, int8;
 * with 1, 2 and 6 test-time views, or the model's fixed graph), on the native runtime, or on WASM with LIGHTEXNET_BACKEND=wasm. Prints JSON.
 *
 *   npm run build && node bench/latency.js [IMAGE] [--runs 200] [--model NAME]
 *
 * --model times models/NAME.json too (e.g. a candidate beside the shipped one).
 */
const fs = require('node:fs');
const path = require('node:path');
const { FaceDetector, ExpressionClassifier, decodeImage, getBackend } = require('../dist/core');

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 200;
const modelAt = args.indexOf('--model');
const extraModels = modelAt >= 0 ? [args[modelAt + 1]] : [];
const image =
  args.find((a, i) => !a.startsWith('--') && !['--runs', '--model'].includes(args[i - 1])) ||
  path.join(__dirname, '..', 'test', 'fixtures', 'astronaut-640x480.jpg');

async function median(fn) {
  for (let i = 0; i < 10; i++) await fn(); // warm-up
  const t = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { median_ms: Math.round(t[t.length >> 1] * 100) / 100, p90_ms: Math.round(t[Math.floor(t.length * 0.9)] * 100) / 100 };
}

(async () => {
  const bytes = fs.readFileSync(image);
  const img = await decodeImage(bytes);
  const out = {
    image: path.basename(image),
    width: img.width,
    height: img.height,
    runs: RUNS,
    threads: 1,
    backend: (await getBackend()).name,
  };
  out.decode = await median(() => decodeImage(bytes));
  let face;
  for (const model of ['short', 'full']) {
    const d = await FaceDetector.create({ model, threads: 1 });
    const faces = await d.detect(img);
    out[`detect_${model}`] = { faces: faces.length, ...(await median(() => d.detect(img))) };
    face = face || faces[0];
    await d.release();
  }
  for (const name of ['lightexnet-fer2013', 'lightexnet-fer2013-int8', ...extraModels]) {
    if (!fs.existsSync(path.join(__dirname, '..', 'models', `${name}.json`))) continue;
    const probe = await ExpressionClassifier.create({ model: name, threads: 1 });
    const choices = probe.manifest.views ? probe.manifest.views.choices : [undefined];
    await probe.release();
    for (const views of choices) {
      const c = await ExpressionClassifier.create({ model: name, threads: 1, views });
      out[`classify_${name}${views ? `_views${views}` : ''}`] = {
        crop_and_run_one_face: await median(() => c.classifyFaces(img, [face])),
        run_only_one_face: await median(() => c.classifyCrops([new Uint8Array(48 * 48).fill(128)])),
      };
      await c.release();
    }
  }
  console.log(JSON.stringify(out));
})();
