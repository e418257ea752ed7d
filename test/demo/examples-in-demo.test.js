'use strict';
/**
 * Every example deployed into the demo (`npm start`) on a non-default port, with the demo's own broker: the
 * broker node of example 03 given the demo's MQTT login, as a user types it into the node's Security tab.
 * Where Debian's mosquitto is installed (CI installs it) the demo runs it, with MQTT 5, which example 03's
 * inference-worker tab needs (shared subscriptions); the demo's fallback broker (aedes) is MQTT 3.1.1 only.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { adminToken, startDemo } = require('../support/demo');
const { deployAndRunExamples, examplesWithRecorders, waitFor } = require('../support/examples');

const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const hasMosquitto = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].some((f) => fs.existsSync(f));

describe('the examples in the demo, with the demo broker', function () {
  this.timeout(300000);
  let demo;
  let recordDir;
  let client;

  before(async function () {
    if (!hasMosquitto) {
      console.log('      (skipped: mosquitto is not installed, so the demo runs its MQTT 3.1.1 broker)');
      return this.skip();
    }
    demo = await startDemo();
    recordDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-examples-'));
  });

  after(async () => {
    client?.end(true);
    await demo?.stop();
    if (recordDir) fs.rmSync(recordDir, { recursive: true, force: true });
  });

  it('runs every example on a non-default port against the demo broker (mosquitto, MQTT 5, the demo login)', async () => {
    assert.notEqual(demo.port, 1880);
    assert.match(demo.log(), /mosquitto \(MQTT 5\)/, 'the demo runs mosquitto where it is installed');
    const token = await adminToken(demo);
    const auth = { Authorization: `Bearer ${token}` };

    const seen = new Map();
    client = mqtt.connect(`mqtt://127.0.0.1:${demo.mqttPort}`, {
      username: demo.login.mqtt.username,
      password: demo.login.mqtt.password,
      protocolVersion: 5,
    });
    client.on('message', (topic, payload) => seen.set(topic, payload.toString()));
    await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
    await client.subscribeAsync(['lightexnet/alerts', 'lightexnet/expression/state', 'lightexnet/results/demo']);

    // What a user does: import the examples, open the broker node, set the demo broker's port and login.
    const flow = examplesWithRecorders(recordDir);
    const brokers = flow.filter((n) => n.type === 'mqtt-broker');
    assert.equal(brokers.length, 1, 'one broker node for the MQTT examples');
    Object.assign(brokers[0], {
      port: String(demo.mqttPort),
      credentials: { user: demo.login.mqtt.username, password: demo.login.mqtt.password },
    });
    const read = await deployAndRunExamples(demo.base, flow, recordDir, demo.log, auth);
    assert.equal(JSON.parse(read('detect.json')).length, 1, '01: one face in the sample frame');
    const classified = JSON.parse(read('classify.json'));
    assert.ok(EXPRESSIONS.includes(classified[0].expression), JSON.stringify(classified));

    await waitFor('03: an alert on lightexnet/alerts', () => seen.has('lightexnet/alerts'), demo.log);
    assert.equal(JSON.parse(seen.get('lightexnet/alerts')).expression, 'happy');
    await waitFor('03: Home Assistant state', () => seen.has('lightexnet/expression/state'), demo.log);
    assert.ok([...EXPRESSIONS, 'none'].includes(seen.get('lightexnet/expression/state')));
    await waitFor(
      '03: a worker result over the shared subscription',
      () => seen.has('lightexnet/results/demo'),
      () => `MQTT topics seen: ${[...seen.keys()].join(', ')}\n${demo.log()}`,
    );
    assert.equal(JSON.parse(seen.get('lightexnet/results/demo')).camera, 'demo');
  });
});
