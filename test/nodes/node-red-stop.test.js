'use strict';
/**
 * A real Node-RED runtime stopped (SIGTERM, as systemd or Ctrl-C stop it) while our nodes are still loading
 * their models ends cleanly. Node-RED exits once every node's close is done; our nodes finish loading and
 * release the models first (inference-node.ts), and a process exit never lands inside onnxruntime
 * (exit-gate.ts). Before both, a stop within ~0.1-0.2 s of "Started flows" aborted Node-RED with
 * "terminate called after throwing an instance of 'Napi::Error'".
 */
const assert = require('node:assert/strict');
const { startNodeRedProcess } = require('../support/node-red-process');

/** A Node-RED runtime (its own process) whose flow has a face-detect and a classify node. */
function startNodeRed(delay) {
  return startNodeRedProcess({
    name: `stop-${delay}`,
    env: { ...process.env, LIGHTEXNET_WORKERS: '2', ORT_DISABLE_TELEMETRY: '1' },
    logLevel: 'info', // for "Started flows"
    flows: [
      { id: 'tab', type: 'tab', label: 'stop' },
      { id: 'det', z: 'tab', type: 'lightexnet-face-detect', name: '', wires: [['cls']] },
      { id: 'cls', z: 'tab', type: 'lightexnet-classify', name: '', wires: [[]] },
    ],
  });
}

describe('Node-RED stopped while the models load', () => {
  it('exits cleanly (code 0, no abort), with the models released first', async () => {
    const stops = await Promise.all(
      [0, 100, 200].map(async (delay) => {
        const nr = await startNodeRed(delay);
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
