'use strict';
/**
 * The pixel work around the networks, median ms: the detector's letterbox of a whole frame (box shrink and
 * bilinear sampling into the 192 px square of full range, 128 of short range; into a spare tensor, as the
 * detector does) and the classifier's 64 px grey crop of one face at several sizes, each in WebAssembly (what
 * runs) and in the JavaScript fallback. Frames are the test fixture scaled to each size. Prints JSON.
 *
 *   npm run build && node bench/resample.js [--runs 500]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const sharp = require('sharp');
const { cropGrey, cropGreyInJs, cropPlan, letterbox, letterboxInJs } = require('../dist/core/image/resample');
const { resampleKernels } = require('../dist/core/image/resample-wasm');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '500' } } });
const RUNS = Number(values.runs);
const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'astronaut-640x480.jpg');

function median(fn) {
  for (let i = 0; i < 100; i++) fn(); // warm-up: the JIT compiles the loops
  const t = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return Math.round(t[t.length >> 1] * 1000) / 1000;
}

async function frame(width, height) {
  const { data, info } = await sharp(fs.readFileSync(FIXTURE))
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function main() {
  const letterboxMs = [];
  for (const [w, h] of [
    [640, 480],
    [1280, 720],
    [1920, 1080],
  ]) {
    const img = await frame(w, h);
    for (const size of [192, 128]) {
      const spare = new Float32Array(3 * size * size);
      letterboxMs.push({
        frame: `${w}x${h}`,
        square: size,
        ms: median(() => letterbox(img, size, spare)),
        javascript_ms: median(() => letterboxInJs(img, size)),
      });
    }
  }
  const img = await frame(640, 480);
  const cropMs = [40, 70, 150, 220, 400].map((side) => {
    const rect = { left: Math.round(320 - side / 2), top: Math.round(240 - side / 2), width: side, height: side };
    return { face_px: side, ms: median(() => cropGrey(img, rect, 64)), javascript_ms: median(() => cropGreyInJs(img, cropPlan(rect, 64))) };
  });
  console.log(JSON.stringify({ runs: RUNS, webassembly: Boolean(resampleKernels()), letterbox: letterboxMs, crop64: cropMs }, null, 1));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
