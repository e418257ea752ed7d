'use strict';
/**
 * What levelling tilted faces (src/core/classification/face-roll.ts) does to accuracy: FER2013 PublicTest (the
 * selection split) through the detector as `lightexnet eval --fer2013 --detect` scores it, with the frames as
 * they are and turned by +-DEG (alternately), classified with levelling beyond each threshold and without it.
 * Accuracy over the faces found. Prints JSON.
 *
 *   npm run build && node bench/tilted-faces.js [--tilt 25] [--limit N] [--data ../shared/data] [--views N]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const sharp = require('sharp');
const { FaceDetector, ExpressionClassifier, decodeImage } = require('../dist/core');
const { fer2013Frame } = require('../dist/core/evaluation/datasets');
const { largestFace } = require('../dist/core/detection/largest-face');
const { levellingDegrees } = require('../dist/core/classification/face-roll');

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(__dirname, '..', '..', 'shared', 'data') },
    tilt: { type: 'string', default: '25' },
    limit: { type: 'string' },
    views: { type: 'string' },
  },
});
const THRESHOLDS = [Infinity, 16, 8, 0];

async function turned(img, deg) {
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .rotate(deg, { background: '#808080' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

async function score(x, y, n, detector, classifiers, tilt) {
  const correct = THRESHOLDS.map(() => 0);
  const levelled = THRESHOLDS.map(() => 0);
  let found = 0;
  for (let i = 0; i < n; i++) {
    let img = await decodeImage(fer2013Frame(x.subarray(i * 2304, (i + 1) * 2304)));
    if (tilt) img = await turned(img, i % 2 ? tilt : -tilt);
    const face = largestFace(await detector.detect(img));
    if (!face) continue;
    found++;
    for (let k = 0; k < THRESHOLDS.length; k++) {
      const [r] = await classifiers[k].classifyFaces(img, [face]);
      if (r.expression === classifiers[k].labels[y[i]]) correct[k]++;
      if (levellingDegrees(face, THRESHOLDS[k]) !== 0) levelled[k]++;
    }
  }
  return {
    tiltDegrees: tilt,
    facesFound: found,
    rows: THRESHOLDS.map((t, k) => ({
      levelBeyond: Number.isFinite(t) ? t : 'off',
      accuracy: Math.round((correct[k] / found) * 10000) / 100,
      levelled: levelled[k],
    })),
  };
}

(async () => {
  const dir = path.join(values.data, 'fer2013');
  const x = fs.readFileSync(path.join(dir, 'publictest_x.u8'));
  const y = fs.readFileSync(path.join(dir, 'publictest_y.u8'));
  const n = Math.min(y.length, Number(values.limit ?? y.length));
  const views = values.views ? Number(values.views) : undefined;
  const detector = await FaceDetector.create({ model: 'full' });
  const classifiers = await Promise.all(THRESHOLDS.map((t) => ExpressionClassifier.create({ levelBeyond: t, views })));
  try {
    const tilt = Number(values.tilt);
    const result = { split: 'publictest', images: n, views: classifiers[0].views, upright: await score(x, y, n, detector, classifiers, 0) };
    result.tilted = await score(x, y, n, detector, classifiers, tilt);
    console.log(JSON.stringify(result, null, 1));
  } finally {
    await Promise.all([detector.release(), ...classifiers.map((c) => c.release())]);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
