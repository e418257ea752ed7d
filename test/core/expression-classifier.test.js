'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ExpressionClassifier, faceCrop, softmax } = require('../../dist/core/classification/expression-classifier');
const { readManifest, MODELS_DIR } = require('../../dist/core/classification/model-manifest');
const { decodeImage } = require('../../dist/core/image/image');
const { evalFer2013 } = require('../../dist/core/evaluation/datasets');
const { FIXTURES, requireSharedData } = require('../support/paths');

const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

describe('ExpressionClassifier', function () {
  let clf;
  before(async () => {
    clf = await ExpressionClassifier.create();
  });
  after(async () => {
    await clf.release();
  });

  it('loads the shipped model by its manifest', () => {
    assert.deepEqual(clf.labels, LABELS);
    assert.equal(clf.manifest.input.width, 48);
    assert.equal(clf.backend, 'native');
  });

  it('batches crops: one run gives the same answers as one crop at a time', async () => {
    const crops = [0, 60, 120, 250].map((v) => {
      const c = new Uint8Array(48 * 48);
      for (let i = 0; i < c.length; i++) c[i] = (v + (i % 48) * 3 + Math.floor(i / 48)) % 256;
      return c;
    });
    const batch = await clf.classifyCrops(crops);
    for (let i = 0; i < crops.length; i++) {
      const [single] = await clf.classifyCrops([crops[i]]);
      assert.equal(single.expression, batch[i].expression);
      for (const l of LABELS) assert.ok(Math.abs(single.probabilities[l] - batch[i].probabilities[l]) < 1e-3);
    }
    assert.deepEqual(await clf.classifyCrops([]), []);
    await assert.rejects(clf.classifyCrops([new Uint8Array(10)]), /expected 48x48/);
  });

  it('classifies a detected face in a photo', async () => {
    const img = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg')));
    const [face] = await clf.classifyFaces(img, [{ box: { x: 217, y: 126, width: 207, height: 207 }, score: 0.9 }]);
    assert.ok(LABELS.includes(face.expression));
    assert.equal(face.score, 0.9, 'the face keeps its own fields');
  });

  it('crops a square around the box as the manifest says', () => {
    const r = faceCrop({ x: 100, y: 100, width: 100, height: 100 }, { scale: 1.2, offsetX: 0, offsetY: -0.1 });
    assert.deepEqual(r, { x: 90, y: 80, width: 120, height: 120 });
  });

  it('softmax is stable for large logits', () => {
    const p = softmax([1000, 1000, 0]);
    assert.ok(Math.abs(p[0] - 0.5) < 1e-9 && p[2] < 1e-12);
  });

  describe('model files', () => {
    let dir;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lxm-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('a missing manifest or model file gives a clear error', async () => {
      await assert.rejects(ExpressionClassifier.create({ model: path.join(dir, 'none.json') }), /model manifest .*none.json not found/);
      const { manifest } = await readManifest();
      fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify({ ...manifest, file: 'gone.onnx' }));
      await assert.rejects(ExpressionClassifier.create({ model: path.join(dir, 'm.json') }), /model file .*gone.onnx not found/);
      fs.mkdirSync(path.join(dir, 'adir.onnx'));
      fs.writeFileSync(path.join(dir, 'd.json'), JSON.stringify({ ...manifest, file: 'adir.onnx' }));
      await assert.rejects(ExpressionClassifier.create({ model: path.join(dir, 'd.json') }), /adir.onnx is a directory, not a file/);
    });

    it('a manifest that does not match its graph is refused at load, naming each mismatch', async () => {
      const { liveSessionCount } = require('../../dist/core/runtime/onnx-backend');
      const live = liveSessionCount();
      const { manifest } = await readManifest();
      fs.copyFileSync(path.join(MODELS_DIR, manifest.file), path.join(dir, manifest.file));
      const write = (m) => fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify(m));
      write({ ...manifest, output: { ...manifest.output, name: 'probs' } });
      await assert.rejects(
        ExpressionClassifier.create({ model: path.join(dir, 'm.json') }),
        /output "probs" is not in the graph \(outputs: logits\)/,
      );
      write({ ...manifest, input: { ...manifest.input, channels: 3 } });
      await assert.rejects(
        ExpressionClassifier.create({ model: path.join(dir, 'm.json') }),
        /input channels is 1 in the graph, 3 in the manifest/,
      );
      write({ ...manifest, views: { ...manifest.views, size: 48 } });
      await assert.rejects(
        ExpressionClassifier.create({ model: path.join(dir, 'm.json') }),
        /views size is 48 in the manifest, 64 in the graph/,
      );
      write({ ...manifest, labels: manifest.labels.slice(0, 6) });
      await assert.rejects(ExpressionClassifier.create({ model: path.join(dir, 'm.json') }), /output has 7 classes, the manifest 6 labels/);
      assert.equal(liveSessionCount(), live, 'a refused model leaves no session behind');
    });

    it('a damaged model file is refused by its sha256', async () => {
      const { manifest } = await readManifest();
      const bytes = fs.readFileSync(path.join(MODELS_DIR, manifest.file));
      bytes[bytes.length - 100] ^= 0xff;
      fs.writeFileSync(path.join(dir, manifest.file), bytes);
      fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify(manifest));
      await assert.rejects(ExpressionClassifier.create({ model: path.join(dir, 'm.json') }), /damaged or replaced/);
    });

    it('an invalid manifest names what is wrong', async () => {
      fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify({ file: 'x.onnx', labels: [] }));
      await assert.rejects(
        ExpressionClassifier.create({ model: path.join(dir, 'm.json') }),
        /invalid: labels, input, output, normalization, crop/,
      );
      fs.writeFileSync(path.join(dir, 'bad.json'), '{');
      await assert.rejects(ExpressionClassifier.create({ model: path.join(dir, 'bad.json') }), /not valid JSON/);
    });
  });

  describe('parity with the Python side on FER2013', function () {
    it('Node accuracy on PrivateTest equals what PyTorch measured at export', async function () {
      const dir = requireSharedData(this, 'fer2013');
      const { manifest } = await readManifest();
      const check = manifest.export_check;
      assert.equal(check.split, 'privatetest');
      // With the views the export was checked with (the manifest's default may differ).
      const checked = await ExpressionClassifier.create({ views: check.views });
      const r = await evalFer2013(checked, dir, 'privatetest').finally(() => checked.release());
      assert.equal(r.n, 3589);
      // Same crops, same normalisation, same graph: at most one image may flip on float rounding.
      const pythonCorrect = Math.round(check.pytorch_accuracy * check.n);
      assert.ok(Math.abs(r.correct - pythonCorrect) <= 1, `Node ${r.correct} vs PyTorch ${pythonCorrect} correct`);
      assert.equal(
        r.confusion.flat().reduce((a, b) => a + b, 0),
        3589,
      );
    });
  });
});
