'use strict';
/**
 * Untrusted messages at the node boundary, on the real Node-RED runtime: face lists from upstream are
 * checked field by field, clipped to the frame and capped; an annotation that cannot be made does not
 * lose the result; closing while a frame is in flight does not fail that frame.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { helper, ALL_NODES, classifyFlow, collect } = require('../support/flow');
const { FIXTURES } = require('../support/paths');

const frame = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));

const flow = classifyFlow;

const box = (x, y, width, height) => ({ box: { x, y, width, height }, score: 0.9, keypoints: [] });

describe('hostile input to lightexnet-classify', function () {
  let small;
  before(async () => {
    small = await sharp(frame).resize(160, 120).jpeg().toBuffer();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('clips a 20,000 px box to the frame before cropping (bounded memory), and classifies it', async () => {
    await helper.load(ALL_NODES, flow());
    // Models loaded (the workers and their sessions are memory of their own) before measuring.
    const ready = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: [box(40, 30, 60, 60)], image: small });
    await ready;
    const rss0 = process.memoryUsage().rss;
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: [box(-10000, -10000, 20000, 20000)], image: small });
    const [msg] = await got;
    const grew = (process.memoryUsage().rss - rss0) / 1e6;
    assert.deepEqual(msg.payload[0].box, { x: 0, y: 0, width: 160, height: 120 });
    assert.ok(msg.payload[0].expression);
    assert.ok(grew < 100, `resident memory grew ${grew.toFixed(0)} MB`);
  });

  for (const [what, face, field] of [
    ['NaN', box(NaN, 0, 10, 10), /msg\.payload\[0\]\.box\.x must be a finite number, got NaN/],
    ['Infinity', box(0, 0, Infinity, 10), /msg\.payload\[0\]\.box\.width must be a finite number/],
    ['a string', box(0, '5', 10, 10), /msg\.payload\[0\]\.box\.y must be a finite number, got string/],
    ['no area', box(0, 0, 0, 10), /msg\.payload\[0\]\.box has no area/],
    ['outside the frame', box(500, 500, 10, 10), /lies outside the 160x120 frame/],
    ['a null box', { box: null }, /msg\.payload\[0\]\.box must be an object/],
  ]) {
    it(`reports a box with ${what} to the Catch node, naming the field, and keeps working`, async () => {
      await helper.load(ALL_NODES, flow());
      const caught = collect(helper.getNode('caught'), 1);
      helper.getNode('k').receive({ payload: [face], image: small });
      const [err] = await caught;
      assert.match(err.error.message, field);
      const ok = collect(helper.getNode('out'), 1);
      helper.getNode('k').receive({ payload: frame });
      assert.equal((await ok)[0].payload.length, 1, 'the next valid frame is classified');
    });
  }

  it('classifies faces whose keypoints are junk as they are (no levelling), and levels well-formed tilted eyes', async () => {
    await helper.load(ALL_NODES, flow());
    const junk = [
      'eyes',
      [null, 7],
      [
        { name: 'right_eye', x: 'a', y: 1 },
        { name: 'left_eye', x: 50, y: NaN },
      ],
    ];
    const faces = [...junk.map((keypoints) => ({ ...box(40, 30, 60, 60), keypoints })), box(40, 30, 60, 60)];
    const tilted = {
      ...box(40, 30, 60, 60),
      keypoints: [
        { name: 'right_eye', x: 55, y: 45 },
        { name: 'left_eye', x: 80, y: 70 },
      ],
    };
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: [...faces, tilted], image: small });
    const [msg] = await got;
    const plain = msg.payload[3].probabilities;
    for (let i = 0; i < 3; i++) assert.deepEqual(msg.payload[i].probabilities, plain, `face ${i}`);
    assert.notDeepEqual(msg.payload[4].probabilities, plain, 'the 45-degree eye line was levelled');
  });

  it('classifies at most maxFaces of 2,000 boxes (the largest), and says how many it left out', async () => {
    await helper.load(ALL_NODES, flow({ maxFaces: 20 }));
    const faces = Array.from({ length: 2000 }, (_, i) => box(i % 150, (i * 7) % 110, 5 + (i % 10), 5 + (i % 10)));
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: faces, image: small });
    const [msg] = await got;
    assert.equal(msg.payload.length, 20);
    assert.equal(msg.facesCapped, 1980);
    assert.ok(
      msg.payload.every((f) => f.box.width === 14),
      'the largest boxes are kept',
    );
  });

  it('keeps the result when the annotated JPEG cannot be made (a 100000x1 frame)', async () => {
    await helper.load(ALL_NODES, flow({ mode: 'whole', annotate: true }));
    const wide = await sharp({ create: { width: 100000, height: 1, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('k').receive({ payload: wide });
    const [msg] = await got;
    assert.equal(msg.payload.length, 1);
    assert.ok(msg.payload[0].expression);
    assert.equal(msg.annotated, undefined);
    assert.match(msg.annotationError, /JPEG|large|dimension/i);
    assert.ok(Array.isArray(msg.annotations), 'the annotations (boxes and labels) are still there');
  });

  it('a frame in flight when the node closes finishes without "Session already disposed"', async () => {
    await helper.load(ALL_NODES, flow({ views: 6 }));
    const node = helper.getNode('k');
    const errors = [];
    const origError = node.error.bind(node);
    node.error = (e, m) => {
      errors.push(String(e && e.message ? e.message : e));
      return origError(e, m);
    };
    // Wait for the model, then close while frames run.
    const first = collect(helper.getNode('out'), 1);
    node.receive({ payload: frame });
    await first;
    for (let i = 0; i < 3; i++) node.receive({ payload: frame });
    await helper.unload();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      errors.filter((e) => /disposed/i.test(e)),
      [],
    );
  });
});
