'use strict';
/**
 * Converts MediaPipe's BlazeFace models (@mediapipe/face_detection, a development dependency) to the ONNX
 * graphs the package ships: models/blazeface-short.onnx, models/blazeface-full.onnx and models/blazeface.json
 * (names, shapes, sha256). Run after `npm run build` when the converter or MediaPipe's package changes;
 * test/core/tflite-to-onnx.test.js checks that the shipped files are what this makes.
 *
 *   npm run build && node scripts/convert-blazeface.js
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { convertBlazeFace, mediapipeModelDir } = require('../dist/core/detection/blazeface-convert');

const MODELS = path.join(__dirname, '..', 'models');

async function main() {
  const source = JSON.parse(fs.readFileSync(path.join(mediapipeModelDir(), 'package.json'), 'utf8'));
  const index = { source: `${source.name} ${source.version} (Apache-2.0; models/BLAZEFACE-NOTICE)` };
  for (const model of ['short', 'full']) {
    const g = await convertBlazeFace(model);
    const file = `blazeface-${model}.onnx`;
    fs.writeFileSync(path.join(MODELS, file), g.bytes);
    index[model] = {
      file,
      sha256: crypto.createHash('sha256').update(g.bytes).digest('hex'),
      inputName: g.inputName,
      inputShape: g.inputShape,
      outputNames: g.outputNames,
      outputShapes: g.outputShapes,
    };
  }
  fs.writeFileSync(path.join(MODELS, 'blazeface.json'), `${JSON.stringify(index, null, 2)}\n`);
  console.log(JSON.stringify(index, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
