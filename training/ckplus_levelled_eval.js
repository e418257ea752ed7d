'use strict';
/**
 * CK+ as a cross-dataset test on the Node side, each crop levelled by its eye line as the product levels a
 * detected face with --level-beyond 0: the crop goes to the classifier with BlazeFace's angle
 * (blazeface_rolls.js --split ckplus), which the views turn inside the network's own resampling, so no
 * extra resampling happens (a folder of turned PNGs would add one). Without --rolls it scores what
 * `lightexnet eval --folder` scores on training/ckplus_folder.py's folder. Contempt is left out (927 images).
 *
 *   node training/ckplus_levelled_eval.js --classifier MANIFEST [--views N] [--rolls training/results/rolls/ckplus.f32]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { ExpressionClassifier, evaluate } = require('../dist/core');

const ROOT = path.join(__dirname, '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(ROOT, '..', 'shared', 'data') },
    classifier: { type: 'string' },
    views: { type: 'string' },
    rolls: { type: 'string' },
  },
});
const CKPLUS = ['anger', 'contempt', 'disgust', 'fear', 'happy', 'sadness', 'surprise'];
const AS_FER = { anger: 'angry', disgust: 'disgust', fear: 'fear', happy: 'happy', sadness: 'sad', surprise: 'surprise' };

(async () => {
  const x = fs.readFileSync(path.join(values.data, 'ckplus', 'all_x.u8'));
  const y = fs.readFileSync(path.join(values.data, 'ckplus', 'all_y.u8'));
  const rolls = values.rolls ? new Float32Array(new Uint8Array(fs.readFileSync(values.rolls)).buffer) : undefined;
  if (rolls && rolls.length !== y.length) throw new Error(`${values.rolls}: ${rolls.length} angles for ${y.length} images`);
  const classifier = await ExpressionClassifier.create({
    model: values.classifier,
    views: values.views === undefined ? undefined : Number(values.views),
  });
  const truth = [];
  const predicted = [];
  try {
    const crops = [];
    const degrees = [];
    for (let i = 0; i < y.length; i++) {
      const label = CKPLUS[y[i]];
      if (label === 'contempt') continue;
      crops.push(new Uint8Array(x.subarray(i * 2304, (i + 1) * 2304)));
      const r = rolls ? rolls[i] : NaN;
      // face-roll.ts levellingDegrees with beyond 0: the whole angle, none without eyes or beyond +-90.
      degrees.push(Number.isFinite(r) && Math.abs(r) <= 90 ? r : 0);
      truth.push(classifier.labels.indexOf(AS_FER[label]));
    }
    for (let i = 0; i < crops.length; i += 64) {
      const out = await classifier.classifyCrops(crops.slice(i, i + 64), degrees.slice(i, i + 64));
      for (const e of out) predicted.push(classifier.labels.indexOf(e.expression));
    }
  } finally {
    await classifier.release();
  }
  const report = evaluate(classifier.labels, truth, predicted);
  console.log(JSON.stringify({ levelled: Boolean(rolls), views: classifier.views, ...report }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
