'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { helper, ALL_NODES, classifyFlow, collect, recordStatus, until } = require('../support/flow');
const { liveSessionCount } = require('../../dist/core/runtime/onnx-backend');
const { FIXTURES } = require('../support/paths');
const { withWorkers } = require('../support/workers');

const frame = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));
const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

/** The classify flow, with a lightexnet-face-detect node `d` feeding `k` when `withDetect`. */
const flow = (classifyProps = {}, withDetect = false) =>
  classifyFlow(
    classifyProps,
    withDetect ? [{ id: 'd', z: 'tab', type: 'lightexnet-face-detect', model: 'short', busy: 'queue', queueSize: 10, wires: [['k']] }] : [],
  );

function assertExpressionFace(f) {
  assert.ok(LABELS.includes(f.expression), f.expression);
  assert.deepEqual(Object.keys(f.probabilities), LABELS);
  const sum = Object.values(f.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
  assert.equal(f.confidence, Math.max(...Object.values(f.probabilities)));
}

describe('lightexnet-classify node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('classifies the faces found by lightexnet-face-detect, reusing its boxes and keeping the message', async () => {
    // mode 'whole': if the node ignored the face list it would classify the whole frame, box 640x480.
    await helper.load(ALL_NODES, flow({ mode: 'whole' }, true));
    const seen = collect(helper.getNode('k'), 1);
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('d').receive({ payload: frame, topic: 'cam1' });
    const [fromDetect] = await seen;
    const detectBox = { ...fromDetect.payload[0].box };
    const [msg] = await got;
    assert.equal(msg.topic, 'cam1');
    assert.equal(msg.payload.length, 1);
    assertExpressionFace(msg.payload[0]);
    assert.deepEqual(msg.payload[0].box, detectBox, 'the detector box is kept');
    assert.equal(msg.payload[0].score, fromDetect.payload[0].score);
    assert.equal(msg.expression, msg.payload[0].expression);
    assert.equal(msg.confidence, msg.payload[0].confidence);
    assert.ok(msg.image.equals(frame));
  });

  it('detects faces itself when given a plain image', async () => {
    await helper.load(ALL_NODES, flow({ mode: 'detect' }));
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: frame });
    const [msg] = await got;
    assert.equal(msg.payload.length, 1);
    assertExpressionFace(msg.payload[0]);
  });

  it('treats the whole image as one face crop in "whole" mode', async () => {
    await helper.load(ALL_NODES, flow({ mode: 'whole' }));
    const crop = await sharp(frame).extract({ left: 200, top: 110, width: 240, height: 240 }).png().toBuffer();
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: crop });
    const [msg] = await got;
    assert.equal(msg.payload.length, 1);
    assert.deepEqual(msg.payload[0].box, { x: 0, y: 0, width: 240, height: 240 });
    assertExpressionFace(msg.payload[0]);
  });

  it('sends no face and no expression for a frame without faces', async () => {
    await helper.load(ALL_NODES, flow());
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: { data: new Uint8Array(80 * 60 * 3).fill(30), width: 80, height: 60, channels: 3 } });
    const [msg] = await got;
    assert.deepEqual(msg.payload, []);
    assert.equal(msg.expression, undefined);
  });

  it('draws expression labels when asked', async () => {
    await helper.load(ALL_NODES, flow({ annotate: true }));
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: frame });
    const [msg] = await got;
    assert.match(msg.annotations[0].label, /^(angry|disgust|fear|happy|sad|surprise|neutral) \d+%$/);
    assert.equal((await sharp(msg.annotated).metadata()).format, 'jpeg');
  });

  it('reports faces without a frame to crop them from', async () => {
    await helper.load(ALL_NODES, flow());
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('k').receive({ payload: [{ box: { x: 0, y: 0, width: 10, height: 10 } }] });
    assert.match((await caught)[0].error.message, /msg.image has no frame/);
  });

  it('reports a corrupt frame to a Catch node', async () => {
    await helper.load(ALL_NODES, flow());
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('k').receive({ payload: Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x12]) });
    assert.match((await caught)[0].error.message, /not a decodable image|decode/);
  });

  it('a missing model shows in the status and every message gets the error', async () => {
    await helper.load(ALL_NODES, flow({ classifier: '/nonexistent/model.json' }));
    const k = helper.getNode('k');
    const status = recordStatus(k);
    const caught = collect(helper.getNode('caught'), 2);
    k.receive({ payload: frame });
    k.receive({ payload: frame });
    const errs = await caught;
    for (const e of errs) assert.match(e.error.message, /model not loaded: model manifest \/nonexistent\/model.json not found/);
    await until(() => status.some((s) => s.fill === 'red'));
  });

  it('runs the chosen number of test-time views, and refuses a number the model does not offer', async () => {
    const probs = {};
    for (const views of ['1', '6']) {
      await helper.load(ALL_NODES, flow({ views }));
      const got = collect(helper.getNode('out'), 1);
      helper.getNode('k').receive({ payload: frame });
      const [msg] = await got;
      assertExpressionFace(msg.payload[0]);
      probs[views] = msg.payload[0].probabilities;
      await helper.unload();
    }
    assert.notDeepEqual(probs['1'], probs['6']);
    await helper.load(ALL_NODES, flow({ views: '7' }));
    const status = recordStatus(helper.getNode('k'));
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('k').receive({ payload: frame });
    const [err] = await caught;
    assert.match(err.error.message, /1 to 6 test-time views .* not 7/);
    await until(() => status.some((s) => s.fill === 'red'));
  });

  it('releases the classifier and detector sessions on close', async () => {
    const base = liveSessionCount();
    await helper.load(ALL_NODES, flow());
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: frame });
    await got;
    assert.equal(liveSessionCount(), base + 2);
    await helper.unload();
    assert.equal(liveSessionCount(), base);
  });

  it('keeps frames in order while two run at once on two workers, and sends every one', async () => {
    await withWorkers(2, async () => {
      await helper.load(ALL_NODES, flow({ mode: 'detect', busy: 'queue', queueSize: 20 }));
      // Alternate a face frame with a faceless one: their answers differ, so a swap would show.
      const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808080' } })
        .jpeg()
        .toBuffer();
      const got = collect(helper.getNode('out'), 12);
      for (let i = 0; i < 12; i++) helper.getNode('k').receive({ payload: i % 2 ? blank : frame, seq: i });
      const msgs = await got;
      assert.deepEqual(
        msgs.map((m) => m.seq),
        [...Array(12).keys()],
      );
      assert.deepEqual(
        msgs.map((m) => m.faceCount),
        msgs.map((m) => (m.seq % 2 ? 0 : 1)),
      );
    });
  });
});
