'use strict';
/** Loads both models, classifies a frame, then idles for argv[2] ms: what no-network.test.js traces. */
const fs = require('node:fs');
const path = require('node:path');
const { FaceDetector, ExpressionClassifier, decodeImage } = require('../../dist/core');

(async () => {
  const detector = await FaceDetector.create({ model: 'full' });
  const classifier = await ExpressionClassifier.create({});
  const img = await decodeImage(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'astronaut-640x480.jpg')));
  const faces = await classifier.classifyFaces(img, await detector.detect(img));
  console.log(`classified ${faces.length} face(s)`);
  await new Promise((r) => setTimeout(r, Number(process.argv[2] || 20000)));
  await Promise.all([detector.release(), classifier.release()]);
})();
