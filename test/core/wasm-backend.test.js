'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { ROOT, FIXTURES } = require('../support/paths');

// The fallback is chosen once per process, so it runs in a child with LIGHTEXNET_BACKEND=wasm: the
// same switch a musl or 32-bit ARM machine takes automatically when onnxruntime-node cannot load.
const cli = (args, env = {}) => JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lightexnet.js'), ...args],
  { env: { ...process.env, ...env }, encoding: 'utf8' }));

describe('WASM fallback backend', () => {
  for (const model of ['short', 'full']) {
    it(`BlazeFace ${model} gives the same faces on onnxruntime-web as on onnxruntime-node`, () => {
      const img = path.join(FIXTURES, 'astronaut-640x480.jpg');
      const native = cli(['detect', img, '--model', model, '--json']);
      const wasm = cli(['detect', img, '--model', model, '--json'], { LIGHTEXNET_BACKEND: 'wasm' });
      assert.equal(native.backend, 'native');
      assert.equal(wasm.backend, 'wasm');
      assert.equal(wasm.faces.length, native.faces.length);
      assert.equal(native.faces.length, 1);
      for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(wasm.faces[0].box[k] - native.faces[0].box[k]) < 0.5, k);
      assert.ok(Math.abs(wasm.faces[0].score - native.faces[0].score) < 1e-3);
    });
  }
});
