'use strict';
/**
 * Per-image eye-line angles for training and scoring with levelled faces (train.py --level): BlazeFace full
 * range on each 48x48 image made into the frame `lightexnet eval --fer2013 --detect` makes of it
 * (evaluation/datasets.ts fer2013Frame), its best face's eye line (face-roll.ts rollDegrees: degrees, y down).
 * Writes one float32 per image, NaN where no face (or no eye landmarks) was found. CK+48's crops are 48x48 too
 * and are framed the same way. --step N takes every Nth image only; --summary FILE writes the quantiles of
 * the angles found (the run-time levelling threshold of face-roll.ts came from Training's, every 19th image:
 * results/fer2013-roll-full.json). Needs the Node build (npm run build).
 *
 *   node training/blazeface_rolls.js --split train|publictest|privatetest|ckplus [--data ../shared/data]
 *     [--out training/results/rolls/<split>.f32] [--step N --summary FILE]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { FaceDetector, decodeImage } = require('../dist/core');
const { fer2013Frame } = require('../dist/core/evaluation/datasets');
const { rollDegrees } = require('../dist/core/classification/face-roll');

const ROOT = path.join(__dirname, '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(ROOT, '..', 'shared', 'data') },
    split: { type: 'string', default: 'train' },
    out: { type: 'string' },
    step: { type: 'string', default: '1' },
    summary: { type: 'string' },
  },
});
const step = Number(values.step);
if (!Number.isInteger(step) || step < 1) throw new Error(`--step must be a whole number >= 1, not ${values.step}`);
const split = values.split;
if (!['train', 'publictest', 'privatetest', 'ckplus'].includes(split)) throw new Error(`unknown --split ${split}`);
const file = split === 'ckplus' ? path.join(values.data, 'ckplus', 'all_x.u8') : path.join(values.data, 'fer2013', `${split}_x.u8`);
const out = values.out ?? path.join(__dirname, 'results', 'rolls', `${split}.f32`);

const quantiles = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const q = (p) => Math.round(s[Math.floor(p * (s.length - 1))] * 10) / 10;
  return { p01: q(0.01), p05: q(0.05), p25: q(0.25), median: q(0.5), p75: q(0.75), p90: q(0.9), p95: q(0.95), p99: q(0.99) };
};

(async () => {
  const x = fs.readFileSync(file);
  const n = Math.ceil(x.length / 2304 / step);
  const rolls = new Float32Array(n).fill(NaN);
  const detector = await FaceDetector.create({ model: 'full' });
  const t0 = Date.now();
  try {
    for (let i = 0; i < n; i++) {
      const at = i * step * 2304;
      const [face] = await detector.detect(await decodeImage(fer2013Frame(x.subarray(at, at + 2304))));
      const roll = face && rollDegrees(face);
      if (roll !== undefined) rolls[i] = roll;
      if (i % 5000 === 4999) console.error(`${i + 1}/${n} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await detector.release();
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, Buffer.from(rolls.buffer));
  const found = [...rolls].filter((r) => !Number.isNaN(r));
  const result = {
    what: `BlazeFace full range's eye-line angle on ${split} images${step > 1 ? ` (every ${step}th)` : ''}, framed as lightexnet eval --detect frames them`,
    command: `node training/blazeface_rolls.js --split ${split}${step > 1 ? ` --step ${step}` : ''}`,
    images: n,
    detected: found.length,
    rollDegrees: quantiles(found),
    absRollDegrees: quantiles(found.map(Math.abs)),
  };
  if (values.summary) fs.writeFileSync(values.summary, `${JSON.stringify(result, null, 1)}\n`);
  console.log(JSON.stringify({ ...result, out }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
