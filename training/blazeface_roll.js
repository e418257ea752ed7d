'use strict';
/**
 * How far FER2013's own faces tilt, as BlazeFace's eye landmarks see them: the run-time levelling
 * (src/core/classification/face-roll.ts) leaves tilts up to about the 90th percentile alone, since the
 * network learned to read those as they are. Each image becomes the frame `lightexnet eval --fer2013 --detect`
 * makes of it (evaluation/datasets.ts fer2013Frame); every 19th image of the split. Writes quantiles of the eye
 * line's angle (degrees, y down) and of its size as JSON. Needs the Node build (npm run build).
 *
 *   node training/blazeface_roll.js [--data ../shared/data] [--split train] [--step 19]
 *     [--out training/results/fer2013-roll-full.json]
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
    step: { type: 'string', default: '19' },
    out: { type: 'string', default: path.join(__dirname, 'results', 'fer2013-roll-full.json') },
  },
});

const quantiles = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const q = (p) => Math.round(s[Math.floor(p * (s.length - 1))] * 10) / 10;
  return { p01: q(0.01), p05: q(0.05), p25: q(0.25), median: q(0.5), p75: q(0.75), p90: q(0.9), p95: q(0.95), p99: q(0.99) };
};

(async () => {
  const x = fs.readFileSync(path.join(values.data, 'fer2013', `${values.split}_x.u8`));
  const step = Number(values.step);
  const detector = await FaceDetector.create({ model: 'full' });
  const rolls = [];
  let images = 0;
  try {
    for (let i = 0; i < x.length / 2304; i += step) {
      images++;
      const [face] = await detector.detect(await decodeImage(fer2013Frame(x.subarray(i * 2304, (i + 1) * 2304))));
      const roll = face && rollDegrees(face);
      if (roll !== undefined) rolls.push(roll);
    }
  } finally {
    await detector.release();
  }
  const result = {
    what: `BlazeFace full range's eye-line angle on FER2013 ${values.split} images (every ${step}th, framed as lightexnet eval --detect frames them)`,
    command: `node training/blazeface_roll.js --split ${values.split} --step ${step}`,
    images,
    detected: rolls.length,
    rollDegrees: quantiles(rolls),
    absRollDegrees: quantiles(rolls.map(Math.abs)),
  };
  fs.writeFileSync(values.out, `${JSON.stringify(result, null, 1)}\n`);
  console.log(JSON.stringify(result));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
