#!/usr/bin/env node
'use strict';
/**
 * Label stability: does a still face keep its label from frame to frame? For each scene photo, makes
 * camera-like copies (seeded: zoom +0-6 %, a shift, brightness +-10 %, JPEG quality 60-90), detects faces
 * (full range) and classifies them, matches each face back to the original photo's faces, and reports how
 * often each face gets its majority label. Prints JSON.
 *
 *   node bench/label-stability.js [--scenes ../shared/data/scenes] [--copies 40] [--seed 1] [--views N]
 *                                 [--classifier models/x.json] [--scale 1]
 *
 * --scale S shrinks each photo to S of its size first (0.5, 0.33: the same faces, smaller).
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const sharp = require('sharp');
const { FaceDetector, ExpressionClassifier, decodeImage } = require('../dist/core');
const { prng } = require('../test/support/prng');

const { values } = parseArgs({
  options: {
    scenes: { type: 'string', default: path.join(__dirname, '..', '..', 'shared', 'data', 'scenes') },
    copies: { type: 'string', default: '40' },
    seed: { type: 'string', default: '1' },
    views: { type: 'string' },
    classifier: { type: 'string' },
    scale: { type: 'string', default: '1' },
  },
});

/** One camera-like copy and how to map its pixels back to the original's. */
async function jitter(photo, meta, r) {
  const s = 1 + 0.06 * r();
  const w = Math.round(meta.width * s);
  const h = Math.round(meta.height * s);
  const ox = Math.floor(r() * (w - meta.width + 1));
  const oy = Math.floor(r() * (h - meta.height + 1));
  const brightness = 0.9 + 0.2 * r();
  const quality = 60 + Math.floor(31 * r());
  const buf = await sharp(photo)
    .resize(w, h)
    .extract({ left: ox, top: oy, width: meta.width, height: meta.height })
    .modulate({ brightness })
    .jpeg({ quality })
    .toBuffer();
  return { buf, back: (x, y) => ({ x: (x + ox) / s, y: (y + oy) / s }) };
}

async function main() {
  const copies = Number(values.copies);
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be above 0 and at most 1, not "${values.scale}"`);
  const detector = await FaceDetector.create({ model: 'full' });
  const classifier = await ExpressionClassifier.create({
    model: values.classifier,
    views: values.views === undefined ? undefined : Number(values.views),
  });
  const files = fs
    .readdirSync(values.scenes)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  const out = {
    classifier: classifier.manifest.name,
    views: classifier.views,
    backend: classifier.backend,
    copies,
    seed: Number(values.seed),
    scale,
    scenes: {},
  };
  let worst = 1;
  for (const f of files) {
    // The photo upright (EXIF) and at --scale, losslessly (PNG): what each copy is made from.
    const upright = sharp(path.join(values.scenes, f)).rotate();
    const { info } = await upright.clone().toBuffer({ resolveWithObject: true });
    const width = info.width;
    const photo = await (scale === 1 ? upright : upright.resize(Math.round(width * scale))).png().toBuffer();
    const img = await decodeImage(photo);
    const meta = { width: img.width, height: img.height };
    const original = await detector.detect(img);
    if (!original.length) continue;
    const originalLabels = await classifier.classifyFaces(img, original);
    const counts = original.map(() => ({}));
    const missed = original.map(() => 0);
    const r = prng(Number(values.seed) * 7919 + files.indexOf(f));
    for (let c = 0; c < copies; c++) {
      const { buf, back } = await jitter(photo, meta, r);
      const frame = await decodeImage(buf);
      const faces = await classifier.classifyFaces(frame, await detector.detect(frame));
      original.forEach((o, i) => {
        const ocx = o.box.x + o.box.width / 2;
        const ocy = o.box.y + o.box.height / 2;
        const match = faces.find((g) => {
          const p = back(g.box.x + g.box.width / 2, g.box.y + g.box.height / 2);
          return Math.hypot(p.x - ocx, p.y - ocy) < o.box.width / 2;
        });
        if (!match) missed[i]++;
        else counts[i][match.expression] = (counts[i][match.expression] || 0) + 1;
      });
    }
    out.scenes[f] = original.map((o, i) => {
      const seen = Object.values(counts[i]).reduce((a, b) => a + b, 0);
      const majority = Math.max(0, ...Object.values(counts[i]));
      const agreement = seen ? majority / seen : 0;
      worst = Math.min(worst, agreement);
      return {
        box: { x: Math.round(o.box.x), y: Math.round(o.box.y), width: Math.round(o.box.width), height: Math.round(o.box.height) },
        original: `${originalLabels[i].expression} ${originalLabels[i].confidence}`,
        labels: counts[i],
        missed: missed[i],
        agreement: Math.round(agreement * 1000) / 1000,
      };
    });
  }
  out.worstAgreement = Math.round(worst * 1000) / 1000;
  console.log(JSON.stringify(out, null, 1));
  await Promise.all([detector.release(), classifier.release()]);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
