'use strict';
/**
 * A real Node-RED runtime stopped (SIGTERM, as systemd or Ctrl-C stop it) while our nodes are still loading
 * their models ends cleanly. Node-RED exits once every node's close is done; our nodes finish loading and
 * release the models first (inference-node.ts), and a process exit never lands inside onnxruntime
 * (exit-gate.ts). Before both, a stop within ~0.1-0.2 s of "Started flows" aborted Node-RED with
 * "terminate called after throwing an instance of 'Napi::Error'". And, in the test helper's runtime, nodes closed
 * before their models have loaded release them before their close is done (lightexnet-worker used to keep them).
 */
const assert = require('node:assert/strict');
const { startNodeRedProcess } = require('../support/node-red-process');
const { helper, ALL_NODES } = require('../support/flow');
const { freePort } = require('../support/mosquitto');
const { liveSessionCount } = require('../../dist/core/runtime/onnx-backend');
const workerNode = require('../../nodes/lightexnet-worker.js');
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');

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

describe('nodes closed while their models load', () => {
  afterEach(() => helper.unload());

  it('release them before their close is done, and nothing is left open after', async () => {
    const before = liveSessionCount();
    const nobody = await freePort(); // a broker that is not there: the worker node need not connect to close
    await helper.load(
      [...ALL_NODES, workerNode, mqttNodes],
      [
        { id: 'tab', type: 'tab' },
        { id: 'b', type: 'mqtt-broker', broker: '127.0.0.1', port: String(nobody), protocolVersion: '5', autoConnect: true },
        { id: 'w', z: 'tab', type: 'lightexnet-worker', broker: 'b', group: 'lightexnet', wires: [[]] },
        { id: 'd', z: 'tab', type: 'lightexnet-face-detect', wires: [[]] },
        { id: 'k', z: 'tab', type: 'lightexnet-classify', wires: [[]] },
      ],
    );
    await helper.unload(); // at once: every node is still loading its models
    assert.equal(liveSessionCount(), before, 'sessions still open when the nodes had closed');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(liveSessionCount(), before, 'sessions opened after the nodes had closed');
  });
});
