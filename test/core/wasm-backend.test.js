'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { ROOT, FIXTURES } = require('../support/paths');

// The fallback is chosen once per process, so it runs in a child with LIGHTEXNET_BACKEND=wasm: the
// same switch a musl or 32-bit ARM machine takes automatically when onnxruntime-node cannot load.
const cli = (args, env = {}) =>
  JSON.parse(
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lightexnet.js'), ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    }),
  );

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

  it('with both runtimes loaded in one process, a WASM session really runs on WASM (shared registry bug)', () => {
    // onnxruntime-node and -web share onnxruntime-common's backend registry: an unnamed execution provider
    // resolved to the native one. In a child: a native session first, then one on the WASM backend.
    const script = `
      const ob = require(${JSON.stringify(path.join(ROOT, 'dist', 'core', 'runtime', 'onnx-backend.js'))});
      const bytes = require('fs').readFileSync(${JSON.stringify(path.join(ROOT, 'models', 'lightexnet-fer2013.onnx'))});
      (async () => {
        process.env.LIGHTEXNET_BACKEND = 'native';
        const a = await ob.acquireSession('a', async () => bytes);
        process.env.LIGHTEXNET_BACKEND = 'wasm';
        const b = await ob.acquireSession('b', async () => bytes);
        console.log(JSON.stringify({ native: a.session.handler.constructor.name, wasm: b.session.handler.constructor.name, wasmBackend: b.backend.name }));
        await a.release(); await b.release();
      })();`;
    // In this thread (LIGHTEXNET_WORKERS=0) so the handlers can be looked at; pool workers open sessions the same way.
    const r = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LIGHTEXNET_WORKERS: '0' } }),
    );
    assert.equal(r.native, 'OnnxruntimeSessionHandler', "onnxruntime-node's handler");
    assert.equal(r.wasmBackend, 'wasm');
    assert.notEqual(r.wasm, 'OnnxruntimeSessionHandler', 'the WASM session is not the native handler');
  });
});
