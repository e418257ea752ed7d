'use strict';
/**
 * A real Node-RED runtime stopped (SIGTERM, as systemd or Ctrl-C stop it) while our nodes are still loading
 * their models ends cleanly. Node-RED exits once every node's close is done; our nodes finish loading and
 * release the models first (inference-node.ts), and a process exit never lands inside onnxruntime
 * (exit-gate.ts). Before both, a stop within ~0.1-0.2 s of "Started flows" aborted Node-RED with
 * "terminate called after throwing an instance of 'Napi::Error'".
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../support/paths');
const { freePort } = require('../support/mosquitto');

/** A Node-RED runtime (its own process) whose flow has a face-detect and a classify node. */
async function startNodeRed() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-stop-'));
  const modules = path.join(userDir, 'node_modules', '@lightexnet');
  fs.mkdirSync(modules, { recursive: true });
  fs.symlinkSync(ROOT, path.join(modules, 'node-red'));
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'nr', version: '0.0.1', private: true, dependencies: { '@lightexnet/node-red': '*' } }),
  );
  const port = await freePort();
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', credentialSecret: false, logging: { console: { level: 'info' } }, editorTheme: { tours: false } };\n`,
  );
  fs.writeFileSync(
    path.join(userDir, 'flows.json'),
    JSON.stringify([
      { id: 'tab', type: 'tab', label: 'stop' },
      { id: 'det', z: 'tab', type: 'lightexnet-face-detect', name: '', wires: [['cls']] },
      { id: 'cls', z: 'tab', type: 'lightexnet-classify', name: '', wires: [[]] },
    ]),
  );
  let log = '';
  const proc = spawn(
    process.execPath,
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
    {
      env: { ...process.env, LIGHTEXNET_WORKERS: '2', ORT_DISABLE_TELEMETRY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('close', (status, signal) => r({ status, signal })));
  return { proc, log: () => log, exited, cleanup: () => fs.rmSync(userDir, { recursive: true, force: true }) };
}

describe('Node-RED stopped while the models load', () => {
  it('exits cleanly (code 0, no abort), with the models released first', async () => {
    const stops = await Promise.all(
      [0, 100, 200].map(async (delay) => {
        const nr = await startNodeRed();
        try {
          const t0 = Date.now();
          while (!/Started flows/.test(nr.log())) {
            if (nr.proc.exitCode !== null || Date.now() - t0 > 120000) throw new Error(`Node-RED did not start:\n${nr.log()}`);
            await new Promise((r) => setTimeout(r, 10));
          }
          await new Promise((r) => setTimeout(r, delay));
          nr.proc.kill('SIGTERM');
          return { delay, ...(await nr.exited), log: nr.log() };
        } finally {
          if (nr.proc.exitCode === null && nr.proc.signalCode === null) nr.proc.kill('SIGKILL');
          nr.cleanup();
        }
      }),
    );
    for (const s of stops) {
      assert.doesNotMatch(s.log, /terminate called|Napi::Error/, `stopped ${s.delay} ms after start:\n${s.log}`);
      assert.equal(s.signal, null, `stopped ${s.delay} ms after start, ended by ${s.signal}:\n${s.log}`);
      assert.equal(s.status, 0, `stopped ${s.delay} ms after start:\n${s.log}`);
      assert.match(s.log, /Stopped flows/);
    }
  });
});
