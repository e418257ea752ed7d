'use strict';
const assert = require('node:assert/strict');
const { helper, ALL_NODES, collect } = require('../support/flow');

const flow = (props = {}) => [
  { id: 'tab', type: 'tab' },
  {
    id: 'f',
    z: 'tab',
    type: 'lightexnet-expression-filter',
    expressions: 'happy',
    minConfidence: 0.5,
    holdFrames: 2,
    holdSeconds: 0,
    cooldownSeconds: 0,
    changeOnly: true,
    perTopic: true,
    alertTopic: '',
    ...props,
    wires: [['alert'], ['cleared']],
  },
  { id: 'alert', z: 'tab', type: 'helper' },
  { id: 'cleared', z: 'tab', type: 'helper' },
  { id: 'c', z: 'tab', type: 'catch', scope: null, wires: [['caught']] },
  { id: 'caught', z: 'tab', type: 'helper' },
];
const faces = (expression, confidence = 0.9) => [{ box: { x: 0, y: 0, width: 10, height: 10 }, expression, confidence }];

describe('lightexnet-expression-filter node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('emits an alert after the hold, without the frame, and a cleared event on output 2', async () => {
    await helper.load(ALL_NODES, flow());
    const f = helper.getNode('f');
    const alert = collect(helper.getNode('alert'), 1);
    const cleared = collect(helper.getNode('cleared'), 1);
    f.receive({ payload: faces('happy'), topic: 'cam/kitchen', image: Buffer.alloc(10) });
    f.receive({ payload: faces('happy', 0.8), topic: 'cam/kitchen', image: Buffer.alloc(10) });
    const [a] = await alert;
    assert.equal(a.topic, 'cam/kitchen');
    assert.equal(a.image, undefined, 'frames stay out of alerts');
    assert.deepEqual(Object.keys(a.payload).sort(), [
      'confidence',
      'event',
      'expression',
      'faces',
      'heldFrames',
      'heldMs',
      'id',
      'timestamp',
      'topic',
    ]);
    assert.match(a.payload.id, /^[0-9a-f-]{36}$/);
    assert.equal(a.payload.event, 'alert');
    assert.equal(a.payload.expression, 'happy');
    assert.equal(a.payload.confidence, 0.8);
    assert.equal(a.payload.heldFrames, 2);
    assert.equal(a.payload.faces, 1);
    assert.equal(a.payload.topic, 'cam/kitchen');
    // Cleared after releaseFrames (default 3) frames in a row without it, not after one.
    for (let i = 0; i < 3; i++) f.receive({ payload: [], topic: 'cam/kitchen' });
    const [c] = await cleared;
    assert.equal(c.payload.event, 'cleared');
    assert.equal(c.payload.expression, 'happy');
    assert.notEqual(c.payload.id, a.payload.id);
  });

  it('uses the alert topic when set and keeps cameras apart by msg.topic', async () => {
    await helper.load(ALL_NODES, flow({ alertTopic: 'home/expressions' }));
    const f = helper.getNode('f');
    const alert = collect(helper.getNode('alert'), 1);
    f.receive({ payload: faces('happy'), topic: 'a' });
    f.receive({ payload: faces('happy'), topic: 'b' });
    f.receive({ payload: faces('happy'), topic: 'b' });
    const [a] = await alert;
    assert.equal(a.topic, 'home/expressions');
    assert.equal(a.payload.topic, 'b');
  });

  it('reports a payload that is not a face list to a Catch node', async () => {
    await helper.load(ALL_NODES, flow());
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('f').receive({ payload: Buffer.from('jpeg?') });
    assert.match((await caught)[0].error.message, /face list from lightexnet-classify/);
  });

  it('msg.reset forgets the state', async () => {
    await helper.load(ALL_NODES, flow());
    const f = helper.getNode('f');
    let alerts = 0;
    helper.getNode('alert').on('input', () => alerts++);
    f.receive({ payload: faces('happy') });
    f.receive({ reset: true });
    f.receive({ payload: faces('happy') });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alerts, 0);
    const alert = collect(helper.getNode('alert'), 1);
    f.receive({ payload: faces('happy') });
    await alert;
  });
});
