'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { helper, ALL_NODES } = require('../support/flow');
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');
const { startMosquitto } = require('../support/mosquitto');
const { FIXTURES } = require('../support/paths');

describe('end to end with a real MQTT broker', function () {
  let broker;
  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await helper.unload();
    await broker?.stop();
  });

  it('lightexnet-face-detect -> classify -> filter -> mqtt out: a subscriber receives the alert', async () => {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'd', z: 'tab', type: 'lightexnet-face-detect', model: 'short', busy: 'queue', queueSize: 10, wires: [['k']] },
      { id: 'k', z: 'tab', type: 'lightexnet-classify', busy: 'queue', queueSize: 10, wires: [['f']] },
      // Any expression, any confidence, held 2 frames: the alert depends only on the face being seen.
      {
        id: 'f',
        z: 'tab',
        type: 'lightexnet-expression-filter',
        expressions: '',
        minConfidence: 0,
        holdFrames: 2,
        cooldownSeconds: 0,
        changeOnly: true,
        perTopic: true,
        alertTopic: 'lightexnet/alert',
        wires: [['mq'], []],
      },
      { id: 'mq', z: 'tab', type: 'mqtt out', broker: 'b', topic: '', qos: '1', retain: 'false' },
      {
        id: 'b',
        type: 'mqtt-broker',
        broker: '127.0.0.1',
        port: String(broker.port),
        clientid: '',
        usetls: false,
        protocolVersion: '4',
        keepalive: '60',
        cleansession: true,
      },
    ];
    await helper.load([...ALL_NODES, mqttNodes], flow);
    const sub = await mqtt.connectAsync(broker.url);
    await sub.subscribeAsync('lightexnet/#', { qos: 1 });
    const received = new Promise((resolve) => sub.on('message', (topic, payload) => resolve({ topic, payload })));
    const frame = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));
    const d = helper.getNode('d');
    d.receive({ payload: frame, topic: 'camera/front' });
    d.receive({ payload: frame, topic: 'camera/front' });
    const { topic, payload } = await received;
    await sub.endAsync();
    assert.equal(topic, 'lightexnet/alert');
    const ev = JSON.parse(payload.toString());
    assert.equal(ev.event, 'alert');
    assert.ok(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'].includes(ev.expression));
    assert.equal(ev.faces, 1);
    assert.equal(ev.topic, 'camera/front');
    assert.equal(ev.heldFrames, 2);
  });
});
