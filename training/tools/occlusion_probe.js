'use strict';
/**
 * Which part of a face makes the shipped model call it what it does: each face of a photo (full-range
 * detection, the product's crop and views) classified again with one cell of a grid over its crop hidden
 * (filled with the crop's mean grey), and the change in one label's probability printed as a grid.
 * A diagnostic for the neutral photo's "sad" (issue 15), not a test.
 *
 *   npm run build && node training/tools/occlusion_probe.js ../shared/data/scenes/two_people.jpg [--label sad]
 *     [--grid 6] [--views 2] [--classifier MANIFEST]
 */
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const core = require('../../dist/core');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    label: { type: 'string', default: 'sad' },
    grid: { type: 'string', default: '6' },
    views: { type: 'string' },
    classifier: { type: 'string' },
  },
});

(async () => {
  const file = positionals[0];
  if (!file) throw new Error('usage: occlusion_probe.js IMAGE [--label sad] [--grid 6]');
  const n = Number(values.grid);
  const img = await core.decodeImage(fs.readFileSync(file));
  const detector = await core.FaceDetector.create({ model: 'full' });
  const classifier = await core.ExpressionClassifier.create({
    model: values.classifier,
    views: values.views ? Number(values.views) : undefined,
  });
  const faces = await detector.detect(img);
  const out = { file, label: values.label, views: classifier.views, grid: n, faces: [] };
  for (const face of faces) {
    const [base] = await classifier.classifyFaces(img, [face]);
    // The region the classifier reads (the manifest's crop around the box), clipped to the frame.
    const c = core.faceCrop(face.box, classifier.manifest.crop);
    const x0 = Math.max(0, Math.round(c.x));
    const y0 = Math.max(0, Math.round(c.y));
    const x1 = Math.min(img.width, Math.round(c.x + c.width));
    const y1 = Math.min(img.height, Math.round(c.y + c.height));
    let sum = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let k = 0; k < 3; k++) sum += img.data[(y * img.width + x) * 3 + k];
    const mean = Math.round(sum / ((y1 - y0) * (x1 - x0) * 3));
    const rows = [];
    for (let gy = 0; gy < n; gy++) {
      const row = [];
      for (let gx = 0; gx < n; gx++) {
        const data = Buffer.from(img.data);
        const cx0 = x0 + Math.floor(((x1 - x0) * gx) / n);
        const cx1 = x0 + Math.floor(((x1 - x0) * (gx + 1)) / n);
        const cy0 = y0 + Math.floor(((y1 - y0) * gy) / n);
        const cy1 = y0 + Math.floor(((y1 - y0) * (gy + 1)) / n);
        for (let y = cy0; y < cy1; y++) data.fill(mean, (y * img.width + cx0) * 3, (y * img.width + cx1) * 3);
        const [r] = await classifier.classifyFaces({ ...img, data }, [face]);
        row.push(Math.round((r.probabilities[values.label] - base.probabilities[values.label]) * 100) / 100);
      }
      rows.push(row);
    }
    out.faces.push({ box: face.box, expression: base.expression, probabilities: base.probabilities, change: rows });
  }
  await Promise.all([detector.release(), classifier.release()]);
  console.log(JSON.stringify(out, null, 1));
})().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
