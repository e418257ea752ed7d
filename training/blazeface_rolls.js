'use strict';
/**
 * Per-image eye-line angles for training and scoring with levelled faces (train.py --level): BlazeFace full
 * range on each 48x48 image made into the frame `lightexnet eval --fer2013 --detect` makes of it
 * (evaluation/datasets.ts fer2013Frame), its best face's eye line (face-roll.ts rollDegrees: degrees, y down).
 * Writes one float32 per image, NaN where no face (or no eye landmarks) was found. CK+48's crops are 48x48 too
 * and are framed the same way. Needs the Node build (npm run build).
 *
 *   node training/blazeface_rolls.js --split train|publictest|privatetest|ckplus [--data ../shared/data]
 *     [--out training/results/rolls/<split>.f32]
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
  },
});
const split = values.split;
if (!['train', 'publictest', 'privatetest', 'ckplus'].includes(split)) throw new Error(`unknown --split ${split}`);
const file = split === 'ckplus' ? path.join(values.data, 'ckplus', 'all_x.u8') : path.join(values.data, 'fer2013', `${split}_x.u8`);
const out = values.out ?? path.join(__dirname, 'results', 'rolls', `${split}.f32`);

(async () => {
  const x = fs.readFileSync(file);
  const n = x.length / 2304;
  const rolls = new Float32Array(n).fill(NaN);
  const detector = await FaceDetector.create({ model: 'full' });
  const t0 = Date.now();
  try {
    for (let i = 0; i < n; i++) {
      const [face] = await detector.detect(await decodeImage(fer2013Frame(x.subarray(i * 2304, (i + 1) * 2304))));
      const roll = face && rollDegrees(face);
      if (roll !== undefined) rolls[i] = roll;
      if (i % 5000 === 4999) console.error(`${i + 1}/${n} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await detector.release();
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, Buffer.from(rolls.buffer));
  const found = rolls.filter((r) => !Number.isNaN(r));
  const abs = found.map(Math.abs).sort((a, b) => a - b);
  console.log(JSON.stringify({ split, images: n, found: found.length, absMedian: abs[abs.length >> 1], absP90: abs[Math.floor(0.9 * abs.length)], out }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
