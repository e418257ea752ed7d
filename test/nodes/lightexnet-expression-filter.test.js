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
    wires: [['alert'], ['cleared'], ['events']],
  },
  { id: 'alert', z: 'tab', type: 'helper' },
  { id: 'cleared', z: 'tab', type: 'helper' },
  { id: 'events', z: 'tab', type: 'helper' },
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

  it('an alert carries the alerting face as JPEG (msg.faceJpeg); "both" adds the labelled frame', async () => {
    const sharp = require('sharp');
    const frame = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 120, b: 60 } } })
      .jpeg()
      .toBuffer();
    const box = { x: 100, y: 60, width: 80, height: 80 };
    const seen = [
      { box, expression: 'happy', confidence: 0.9 },
      { box: { x: 0, y: 0, width: 40, height: 40 }, expression: 'sad', confidence: 0.9 },
    ];
    for (const [snapshot, face, whole] of [
      ['face', true, false],
      ['both', true, true],
      ['none', false, false],
    ]) {
      await helper.load(ALL_NODES, flow({ snapshot }));
      const f = helper.getNode('f');
      const alert = collect(helper.getNode('alert'), 1);
      f.receive({ payload: seen, topic: 'cam', image: frame });
      f.receive({ payload: seen, topic: 'cam', image: frame });
      const [a] = await alert;
      assert.equal(a.snapshotError, undefined);
      assert.equal(Buffer.isBuffer(a.faceJpeg), face, `${snapshot}: faceJpeg`);
      assert.equal(Buffer.isBuffer(a.frameJpeg), whole, `${snapshot}: frameJpeg`);
      if (face) {
        const meta = await sharp(a.faceJpeg).metadata();
        assert.equal(meta.format, 'jpeg');
        // The happy face's box with a quarter of its size around it: 120 x 120.
        assert.deepEqual([meta.width, meta.height], [120, 120]);
      }
      if (whole) assert.deepEqual([(await sharp(a.frameJpeg).metadata()).width], [320]);
      await helper.unload();
    }
  });

  it('an alert whose frame cannot be decoded is still sent, saying why it has no picture', async () => {
    await helper.load(ALL_NODES, flow({ snapshot: 'face' }));
    const f = helper.getNode('f');
    const alert = collect(helper.getNode('alert'), 1);
    f.receive({ payload: faces('happy'), topic: 'cam', image: Buffer.from('not an image') });
    f.receive({ payload: faces('happy'), topic: 'cam', image: Buffer.from('not an image') });
    const [a] = await alert;
    assert.equal(a.payload.event, 'alert');
    assert.equal(a.faceJpeg, undefined);
    assert.equal(typeof a.snapshotError, 'string');
  });

  it('with Reorder, lightexnet-worker results are put back in frame order per topic (repeats dropped)', async () => {
    await helper.load(ALL_NODES, flow({ reorderWindow: 8, holdFrames: 3 }));
    const f = helper.getNode('f');
    const alert = collect(helper.getNode('alert'), 1);
    const result = (seq, expression) => ({
      topic: 'lightexnet/results/door',
      payload: { camera: 'door', seq, capturedAt: 1000 + seq * 100, worker: 'w', faces: faces(expression), timings: {} },
    });
    // Frame order: happy, happy, sad, happy. Arrival order 0, 3, 1, 1 (repeat), 2: in arrival order "happy"
    // would hold 3 frames (0, 3, 1); in frame order it never does.
    for (const [seq, e] of [
      [0, 'happy'],
      [3, 'happy'],
      [1, 'happy'],
      [1, 'happy'],
      [2, 'sad'],
    ]) {
      f.receive(result(seq, e));
    }
    await new Promise((r) => setTimeout(r, 300));
    // Frames 4 and 5 make three happy frames in a row (3, 4, 5): now it alerts, timed by capture.
    f.receive(result(5, 'happy'));
    f.receive(result(4, 'happy'));
    const [a] = await alert;
    assert.equal(a.payload.heldFrames, 3);
    assert.equal(a.payload.heldMs, 200);
  });

  it('output 3: each alert as a Frigate-style event: new, update on a more confident frame, end when cleared', async () => {
    await helper.load(ALL_NODES, flow({ releaseFrames: 2, alertTopic: 'home/alerts' }));
    const f = helper.getNode('f');
    const events = collect(helper.getNode('events'), 3);
    const cleared = collect(helper.getNode('cleared'), 1);
    for (const [e, c] of [
      ['happy', 0.7],
      ['happy', 0.7], // alert: new
      ['happy', 0.71], // not enough better: no update
      ['happy', 0.9], // update
      ['sad', 0.9],
      ['sad', 0.9], // cleared: end
    ]) {
      f.receive({ payload: faces(e, c), topic: 'cam/door' });
    }
    const [n, u, end] = await events;
    await cleared;
    assert.deepEqual(
      [n, u, end].map((m) => m.payload.type),
      ['new', 'update', 'end'],
    );
    assert.equal(n.topic, 'home/alerts/events');
    assert.equal(n.payload.after.label, 'happy');
    assert.equal(n.payload.after.camera, 'cam/door');
    assert.equal(n.payload.after.end_time, null);
    assert.equal(u.payload.before.top_score, 0.7);
    assert.equal(u.payload.after.top_score, 0.9);
    assert.equal(u.payload.after.id, n.payload.after.id, 'one event id through its life');
    assert.equal(end.payload.after.id, n.payload.after.id);
    assert.equal(typeof end.payload.after.end_time, 'number');
    assert.ok(end.payload.after.end_time >= end.payload.after.start_time);
  });
});
