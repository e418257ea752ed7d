'use strict';
/**
 * How BlazeFace frames a FER2013 face, image by image: the run-time crop (the manifest's `crop`) is the
 * median of this, and its spread is the box noise a detected face's crop carries at run time, which the
 * training augmentation should imitate (train.py --framing).
 *
 * Each 48x48 image becomes the frame `lightexnet eval --fer2013 --detect` makes of it (upscaled 4x, bilinear,
 * in the middle of a 384x384 frame whose border repeats its edges: evaluation/datasets.ts fer2013Frame), so
 * the face has context around it as in a camera frame; the detector (our converted BlazeFace, the product's
 * code) finds it there. Per image with a face, the FER image square
 * relative to the best box: scale = image side / box side, dx and dy = (image centre - box centre) / box
 * side. Writes the per-image rows and their quantiles as JSON. Needs the Node build (npm run build).
 *
 *   node training/blazeface_framing.js [--data ../shared/data] [--split train] [--model full] [--n 4000]
 *     [--seed 1] [--out training/results/blazeface-framing-full.json]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { FaceDetector, decodeImage } = require('../dist/core');
const { fer2013Frame, FER_FRAME } = require('../dist/core/evaluation/datasets');

const ROOT = path.join(__dirname, '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(ROOT, '..', 'shared', 'data') },
    split: { type: 'string', default: 'train' },
    model: { type: 'string', default: 'full' },
    n: { type: 'string', default: '4000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const out = values.out ?? path.join(__dirname, 'results', `blazeface-framing-${values.model}.json`);
const SIDE = 48;
const UP = FER_FRAME.upscale;
const PAD = (FER_FRAME.size - SIDE * UP) / 2;

/** A seeded sample of image indices (mulberry32), so the table can be remade exactly. */
function sample(count, n, seed) {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, Math.min(n, count)).sort((x, y) => x - y);
}

function quantiles(v) {
  const s = [...v].sort((x, y) => x - y);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length);
  const r = (x) => Math.round(x * 10000) / 10000;
  return { p05: r(q(0.05)), p25: r(q(0.25)), median: r(q(0.5)), p75: r(q(0.75)), p95: r(q(0.95)), mean: r(mean), sd: r(sd) };
}

(async () => {
  const dir = path.join(values.data, 'fer2013');
  const x = fs.readFileSync(path.join(dir, `${values.split}_x.u8`));
  const count = x.length / (SIDE * SIDE);
  const picked = sample(count, Number(values.n), Number(values.seed));
  const detector = await FaceDetector.create({ model: values.model });
  const rows = [];
  let missed = 0;
  try {
    for (const i of picked) {
      const face = x.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
      const img = await decodeImage(fer2013Frame(face));
      const faces = await detector.detect(img);
      if (faces.length === 0) {
        missed++;
        continue;
      }
      const { box, score } = faces[0]; // best first
      const side = Math.max(box.width, box.height);
      const imgSide = SIDE * UP;
      const centre = PAD + imgSide / 2;
      rows.push({
        index: i,
        score: Math.round(score * 1000) / 1000,
        scale: imgSide / side,
        dx: (centre - (box.x + box.width / 2)) / side,
        dy: (centre - (box.y + box.height / 2)) / side,
      });
    }
  } finally {
    await detector.release();
  }
  const result = {
    what: `BlazeFace ${values.model} range on FER2013 ${values.split} images (48x48 upscaled ${UP}x, edge-padded to ${FER_FRAME.size}x${FER_FRAME.size}): the FER image square relative to the detected box`,
    command: `node training/blazeface_framing.js --split ${values.split} --model ${values.model} --n ${values.n} --seed ${values.seed}`,
    images: picked.length,
    detected: rows.length,
    missed,
    scale: quantiles(rows.map((r) => r.scale)),
    dx: quantiles(rows.map((r) => r.dx)),
    dy: quantiles(rows.map((r) => r.dy)),
    rows: rows.map((r) => [
      r.index,
      r.score,
      Math.round(r.scale * 10000) / 10000,
      Math.round(r.dx * 10000) / 10000,
      Math.round(r.dy * 10000) / 10000,
    ]),
    rowFields: ['index', 'score', 'scale', 'dx', 'dy'],
  };
  fs.writeFileSync(out, `${JSON.stringify(result)}\n`);
  const { rows: _rows, ...summary } = result;
  console.log(JSON.stringify(summary, null, 1));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
