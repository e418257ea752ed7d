'use strict';
/**
 * A real Node-RED runtime whose native ONNX Runtime segfaults when loaded (a stand-in package of the same name,
 * test/support/stand-in-runtime.js) keeps running: the runtime is tried in a child process first
 * (native-runtime-check.ts), so our nodes run on the WASM runtime, say why in the log, and classify frames.
 * Without the check, Node-RED dies with SIGSEGV as the flows start.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FIXTURES } = require('../support/paths');
const { startNodeRedProcess } = require('../support/node-red-process');
const { packageWithCrashingRuntime } = require('../support/stand-in-runtime');

describe('Node-RED with a native runtime that crashes as it loads', function () {
  let tmp;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-nr-crash-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('keeps running: the nodes run on WASM, say why, and classify a frame', async () => {
    const out = path.join(tmp, 'result.json');
    const frame = `data:image/jpeg;base64,${fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg')).toString('base64')}`;
    const nr = await startNodeRedProcess({
      name: 'native-crash',
      packageDir: packageWithCrashingRuntime(path.join(tmp, 'app')),
      env: { ...process.env, LIGHTEXNET_CACHE_DIR: path.join(tmp, 'cache'), LIGHTEXNET_BACKEND: 'auto' },
      // Ids unlike any type name: Node-RED reads a property whose value is a node's id as a reference to it.
      flows: [
        { id: 'tab', type: 'tab', label: 'crash' },
        // The frame goes in once the models are likely open; the node would wait for them anyway.
        { id: 'n-in', z: 'tab', type: 'inject', once: true, onceDelay: 1, payload: frame, payloadType: 'str', wires: [['n-cls']] },
        { id: 'n-cls', z: 'tab', type: 'lightexnet-classify', name: '', wires: [['n-json']] },
        { id: 'n-json', z: 'tab', type: 'json', action: 'str', property: 'payload', wires: [['n-file']] },
        {
          id: 'n-file',
          z: 'tab',
          type: 'file',
          filename: out,
          filenameType: 'str',
          appendNewline: false,
          overwriteFile: 'true',
          wires: [],
        },
      ],
    });
    try {
      const t0 = Date.now();
      while (!fs.existsSync(out) || fs.statSync(out).size === 0) {
        if (nr.proc.exitCode !== null || nr.proc.signalCode !== null) {
          throw new Error(`Node-RED ended (${nr.proc.exitCode ?? nr.proc.signalCode}):\n${nr.log()}`);
        }
        if (Date.now() - t0 > 120000) throw new Error(`no result within 120 s:\n${nr.log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const faces = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.equal(faces.length, 1, nr.log());
      assert.equal(faces[0].expression, 'happy', JSON.stringify(faces[0]));
      assert.match(
        nr.log(),
        /\[warn\] \[lightexnet-classify:[^\]]*\] running on the WASM runtime: @lightexnet\/onnxruntime-\S+ crashed \(SIGSEGV\) when loaded in a test process/,
      );
      assert.equal(nr.proc.exitCode, null, 'Node-RED is still running');
      nr.proc.kill('SIGTERM');
      const { status, signal } = await nr.exited;
      assert.equal(signal, null, nr.log());
      assert.equal(status, 0, nr.log());
    } finally {
      await nr.stop('SIGKILL');
    }
  });
});
