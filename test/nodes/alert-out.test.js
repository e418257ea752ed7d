'use strict';
/**
 * lightexnet-alert-out against a real mosquitto that is stopped and restarted mid-stream: every alert
 * arrives, in order, exactly once after dropping QoS 1 repeats by event id, and each message's done()
 * is called once the broker has it. The core `mqtt out` loses what is sent during the outage.
 */
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const mqtt = require('mqtt');
const { helper } = require('../support/flow');
const { startMosquitto } = require('../support/mosquitto');
const alertOut = require('../../nodes/alert-out.js');
const completeNode = require('@node-red/nodes/core/common/24-complete.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('lightexnet-alert-out (real mosquitto, broker outage)', function () {
  this.timeout(120000);
  let broker;
  let sub;
  const received = [];

  before(async () => {
    broker = await startMosquitto({ persistence: true });
    // A persistent session (fixed id, clean: false): the broker queues for it while it reconnects. A reconnect
    // attempt that meets mosquitto mid-restart can hang without a CONNACK; MQTT.js then waits connectTimeout
    // (30 s by default) before the next, past this test's wait (seen: the subscriber got nothing after the
    // outage while the sender had every PUBACK). A short timeout retries it.
    sub = mqtt.connect(broker.url, { clientId: `sub-${randomUUID()}`, clean: false, reconnectPeriod: 200, connectTimeout: 2000 });
    await new Promise((r) => sub.once('connect', r));
    await sub.subscribeAsync('lx/alerts', { qos: 1 });
    sub.on('message', (_t, m) => received.push(JSON.parse(m)));
  });
  afterEach(async () => {
    await helper.unload(); // also after a failure, so the next test can load its flow
  });
  after(async () => {
    await helper.unload();
    sub?.end(true);
    await broker?.stop();
  });

  function flow(type) {
    const out =
      type === 'mqtt out'
        ? { id: 'o', z: 't', type: 'mqtt out', broker: 'b', topic: 'lx/alerts', qos: '1', retain: 'false' }
        : { id: 'o', z: 't', type: 'lightexnet-alert-out', broker: 'b', topic: 'lx/alerts', qos: '1', maxPending: 1000 };
    return [
      { id: 't', type: 'tab' },
      {
        id: 'b',
        type: 'mqtt-broker',
        broker: '127.0.0.1',
        port: String(broker.port),
        clientid: '',
        autoConnect: true,
        usetls: false,
        protocolVersion: '4',
        keepalive: '5',
        cleansession: true,
      },
      out,
      { id: 'cmp', z: 't', type: 'complete', scope: ['o'], uncaught: false, wires: [['done']] },
      { id: 'done', z: 't', type: 'helper' },
      { id: 'c', z: 't', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', z: 't', type: 'helper' },
    ];
  }

  /**
   * Sends `n` alerts at `everyMs`, with the broker down for `outageMs` from the 10th alert on. The 10th waits
   * until mosquitto has exited: a PUBLISH it acknowledges while shutting down can be lost inside the broker
   * (seen once in CI: the sender had its PUBACK), which no client can help and is not what this tests.
   */
  async function stream(n, everyMs, outageMs) {
    const o = helper.getNode('o');
    let restart;
    for (let i = 0; i < n; i++) {
      if (i === 10) {
        await broker.pause();
        restart = sleep(outageMs).then(() => broker.start());
      }
      o.receive({ payload: { id: `a-${i}`, event: 'alert', expression: 'happy', seq: i } });
      await sleep(everyMs);
    }
    await restart;
  }

  it('delivers every alert sent during a 10 s outage, in order, once each after dropping repeats by id', async () => {
    await helper.load([alertOut, mqttNodes, completeNode, catchNode], flow('lightexnet-alert-out'));
    received.length = 0;
    const dones = [];
    helper.getNode('done').on('input', (m) => dones.push(m.payload.seq));
    const errors = [];
    helper.getNode('caught').on('input', (m) => errors.push(m.error.message));
    await sleep(500);
    await stream(60, 200, 10000);
    const t0 = Date.now();
    while (dones.length < 60 && Date.now() - t0 < 60000) await sleep(100);
    while (new Set(received.map((r) => r.id)).size < 60 && Date.now() - t0 < 60000) await sleep(100);
    assert.deepEqual(errors, []);
    const seen = new Set();
    const unique = received.filter((r) => (seen.has(r.id) ? false : seen.add(r.id)));
    assert.deepEqual(
      unique.map((r) => r.seq),
      Array.from({ length: 60 }, (_, i) => i),
      'all 60, in order',
    );
    assert.deepEqual(
      [...dones].sort((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i),
      'done() once for each',
    );
    assert.deepEqual(
      dones,
      [...dones].sort((a, b) => a - b),
      'acknowledged in order',
    );
    console.log(`      ${received.length - unique.length} QoS 1 repeat(s) dropped by id`);
    await helper.unload();
  });

  it('(for comparison) the core mqtt out loses alerts sent during the outage', async () => {
    await helper.load([alertOut, mqttNodes, completeNode, catchNode], flow('mqtt out'));
    received.length = 0;
    await sleep(1000);
    await stream(30, 200, 5000);
    await sleep(3000);
    const got = new Set(received.map((r) => r.seq)).size;
    assert.ok(got < 30, `core mqtt out delivered ${got} of 30`);
    await helper.unload();
  });

  it("publishes the alert's picture, retained, to <topic>/snapshot before the alert", async () => {
    await helper.load([alertOut, mqttNodes, completeNode, catchNode], flow('lightexnet-alert-out'));
    const order = [];
    const watcher = mqtt.connect(broker.url);
    await new Promise((r) => watcher.once('connect', r));
    watcher.on('message', (topic, payload, packet) => order.push({ topic, payload, retain: packet.retain }));
    await watcher.subscribeAsync(['lx/alerts', 'lx/alerts/snapshot'], { qos: 1 });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const done = new Promise((r) => helper.getNode('done').once('input', r));
    helper.getNode('o').receive({ payload: { id: randomUUID(), seq: 1 }, faceJpeg: jpeg });
    await done;
    await sleep(300);
    assert.deepEqual(
      order.map((m) => m.topic),
      ['lx/alerts/snapshot', 'lx/alerts'],
    );
    assert.deepEqual(order[0].payload, jpeg);
    // Retained: a subscriber that comes later (a Home Assistant MQTT camera) still gets the latest picture.
    const late = mqtt.connect(broker.url);
    await new Promise((r) => late.once('connect', r));
    const retained = new Promise((r) => late.once('message', (_t, p, packet) => r({ p, retain: packet.retain })));
    await late.subscribeAsync('lx/alerts/snapshot', { qos: 1 });
    const got = await retained;
    assert.deepEqual(got.p, jpeg);
    assert.equal(got.retain, true);
    // Clean up the retained message for other tests.
    await late.publishAsync('lx/alerts/snapshot', '', { retain: true, qos: 1 });
    await Promise.all([late.endAsync(), watcher.endAsync()]);
    await helper.unload();
  });

  it('Home Assistant discovery: event, sensor and image entities, availability online/offline, again when HA restarts', async () => {
    const f = flow('lightexnet-alert-out');
    Object.assign(
      f.find((n) => n.id === 'o'),
      { topic: 'lx/ha-alerts', haDiscovery: true, name: 'Front door' },
    );
    const seen = [];
    const watcher = mqtt.connect(broker.url);
    await new Promise((r) => watcher.once('connect', r));
    watcher.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync(['homeassistant/+/+/config', 'lx/ha-alerts/availability'], { qos: 1 });
    await helper.load([alertOut, mqttNodes, completeNode, catchNode], f);
    const configs = () => seen.filter((m) => m.topic.startsWith('homeassistant/'));
    const t0 = Date.now();
    while (configs().length < 3 || !seen.some((m) => m.payload === 'online')) {
      if (Date.now() - t0 > 10000) throw new Error(`discovery not seen: ${JSON.stringify(seen)}`);
      await sleep(100);
    }
    const byComponent = Object.fromEntries(configs().map((m) => [m.topic.split('/')[1], { topic: m.topic, ...JSON.parse(m.payload) }]));
    assert.deepEqual(Object.keys(byComponent).sort(), ['event', 'image', 'sensor']);
    assert.equal(byComponent.event.topic, 'homeassistant/event/lightexnet_lx_ha_alerts_event/config');
    assert.equal(byComponent.event.state_topic, 'lx/ha-alerts');
    assert.deepEqual(byComponent.event.event_types, ['alert', 'cleared']);
    assert.equal(byComponent.image.image_topic, 'lx/ha-alerts/snapshot');
    assert.equal(byComponent.sensor.device.name, 'Front door');
    for (const c of Object.values(byComponent)) assert.equal(c.availability_topic, 'lx/ha-alerts/availability');
    // Home Assistant restarts: it asks again, and gets the configs again.
    await watcher.publishAsync('homeassistant/status', 'online', { qos: 1 });
    const before = configs().length;
    while (configs().length < before + 3) {
      if (Date.now() - t0 > 20000) throw new Error('discovery not repeated after homeassistant/status online');
      await sleep(100);
    }
    await helper.unload();
    await sleep(300);
    assert.equal(seen.filter((m) => m.topic === 'lx/ha-alerts/availability').at(-1).payload, 'offline');
    // Clean up the retained messages for other tests.
    for (const m of new Set([...configs().map((c) => c.topic), 'lx/ha-alerts/availability'])) {
      await watcher.publishAsync(m, '', { retain: true, qos: 1 });
    }
    await watcher.endAsync();
  });
});
