'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ort = require(require('../../dist/core/runtime/onnx-backend').nativePackageName());
const { readTflite, TfliteFormatError, BuiltinOp } = require('../../dist/core/detection/tflite-reader');
const { tfliteToOnnx, UnsupportedModelError, permute } = require('../../dist/core/detection/tflite-to-onnx');
const { BLAZEFACE } = require('../../dist/core/detection/face-detector');
const { mediapipeModelDir, convertBlazeFace } = require('../../dist/core/detection/blazeface-convert');
const { runReference } = require('../support/tflite-reference');

const modelBytes = (m) => fs.readFileSync(path.join(mediapipeModelDir(), BLAZEFACE[m].file));

/** Deterministic pseudo-random input in [-1, 1], NHWC and the same values NCHW. */
function randomInput(H, W, C) {
  const nhwc = new Float64Array(H * W * C);
  let seed = 12345;
  for (let i = 0; i < nhwc.length; i++) {
    seed = (seed * 16807) % 2147483647;
    nhwc[i] = (seed / 2147483647) * 2 - 1;
  }
  const nchw = new Float32Array(nhwc.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) nchw[c * H * W + y * W + x] = nhwc[(y * W + x) * C + c];
  return { nhwc, nchw };
}

describe('TFLite reader', () => {
  it('reads both BlazeFace models: one subgraph, NHWC input, the documented outputs', () => {
    for (const [m, size, anchors] of [
      ['short', 128, 896],
      ['full', 192, 2304],
    ]) {
      const model = readTflite(modelBytes(m));
      assert.deepEqual(model.tensors[model.inputs[0]].shape, [1, size, size, 3]);
      const shapes = model.outputs.map((i) => model.tensors[i].shape);
      assert.deepEqual(
        shapes.sort((a, b) => b[2] - a[2]),
        [
          [1, anchors, 16],
          [1, anchors, 1],
        ],
      );
      assert.ok(model.operators.some((o) => o.opcode === BuiltinOp.DEPTHWISE_CONV_2D));
    }
  });

  it('rejects data that is not a TFLite flatbuffer', () => {
    assert.throws(() => readTflite(new Uint8Array(8)), TfliteFormatError);
    assert.throws(() => readTflite(Buffer.from('this is certainly not a tflite model, it is text')), /file identifier/);
  });

  it('rejects a truncated model with a clear error instead of reading past the end', () => {
    const bytes = modelBytes('short');
    assert.throws(() => {
      const m = readTflite(bytes.subarray(0, 2000));
      tfliteToOnnx(m);
    }, /outside the .*file|invalid TFLite|bytes, expected/);
  });
});

describe('TFLite to ONNX conversion', () => {
  for (const m of ['short', 'full']) {
    it(`BlazeFace ${m}: onnxruntime on the converted graph equals a reference NHWC interpreter`, async () => {
      const model = readTflite(modelBytes(m));
      const [, H, W, C] = model.tensors[model.inputs[0]].shape;
      const { nhwc, nchw } = randomInput(H, W, C);
      const expected = runReference(model, nhwc);
      const conv = tfliteToOnnx(model);
      const session = await ort.InferenceSession.create(conv.bytes);
      const out = await session.run({ [conv.inputName]: new ort.Tensor('float32', nchw, conv.inputShape) });
      conv.outputNames.forEach((name, i) => {
        const a = out[name].data;
        const b = expected[i].data;
        assert.equal(a.length, b.length);
        let maxDiff = 0;
        let maxAbs = 0;
        for (let j = 0; j < a.length; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
          maxAbs = Math.max(maxAbs, Math.abs(b[j]));
        }
        assert.ok(maxAbs > 1, 'the reference output should not be trivially small');
        assert.ok(maxDiff < 1e-3, `${name}: max difference ${maxDiff}`);
      });
      await session.release();
    });
  }

  it('the graphs shipped in models/ are what the converter makes from @mediapipe/face_detection today', async () => {
    const index = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'models', 'blazeface.json'), 'utf8'));
    for (const m of ['short', 'full']) {
      const fresh = await convertBlazeFace(m);
      const shipped = fs.readFileSync(path.join(__dirname, '..', '..', 'models', index[m].file));
      assert.ok(Buffer.from(fresh.bytes).equals(shipped), `${index[m].file} differs: run node scripts/convert-blazeface.js`);
      assert.deepEqual(index[m].outputShapes, fresh.outputShapes);
      assert.deepEqual(index[m].inputShape, fresh.inputShape);
    }
  });

  it('names the operator it cannot convert', () => {
    const model = readTflite(modelBytes('short'));
    const bad = { ...model, operators: [{ ...model.operators[10], opcode: 9 }, ...model.operators] };
    assert.throws(
      () => tfliteToOnnx(bad),
      (err) => err instanceof UnsupportedModelError && /FULLY_CONNECTED|builtin operator 9/.test(err.message),
    );
  });

  it('permutes weight layouts (OHWI -> OIHW)', () => {
    // shape [O=2, H=1, W=2, I=3]: value = o*100 + w*10 + i
    const data = new Float32Array(12);
    for (let o = 0; o < 2; o++) for (let w = 0; w < 2; w++) for (let i = 0; i < 3; i++) data[o * 6 + w * 3 + i] = o * 100 + w * 10 + i;
    const out = permute({ shape: [2, 1, 2, 3], data }, [0, 3, 1, 2]);
    // OIHW index (o, i, 0, w) = o*6 + i*2 + w
    assert.equal(out[1 * 6 + 2 * 2 + 1], 100 + 10 + 2);
    assert.equal(out[0 * 6 + 1 * 2 + 0], 1);
  });
});
