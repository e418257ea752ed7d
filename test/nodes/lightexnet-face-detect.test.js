'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { helper, ALL_NODES, nodeFlow, recordStatus, collect, until } = require('../support/flow');
const { withWorkers } = require('../support/workers');
const { liveSessionCount } = require('../../dist/core/runtime/onnx-backend');
const { FIXTURES } = require('../support/paths');

const frame = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));

const flow = (props = {}) =>
  nodeFlow({
    id: 'd',
    type: 'lightexnet-face-detect',
    name: 'detect',
    model: 'short',
    minScore: 0.5,
    maxFaces: 10,
    busy: 'queue',
    queueSize: 10,
    threads: 1,
    ...props,
  });

describe('lightexnet-face-detect node', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('with Face crops, adds a JPEG of each face in msg.crops, in the order of msg.payload', async () => {
    await helper.load(ALL_NODES, flow({ crops: true }));
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('d').receive({ payload: frame });
    const [msg] = await got;
    assert.equal(msg.crops.length, msg.payload.length);
    const meta = await sharp(msg.crops[0]).metadata();
    assert.equal(meta.format, 'jpeg');
    // The face box (about 214 px) with a quarter of it around, scaled to at most 256 px.
    assert.equal(Math.max(meta.width, meta.height), 256);
    assert.ok(Math.abs(meta.width - meta.height) <= 60, `${meta.width}x${meta.height}`);
  });

  it('finds the face, keeps msg.topic and moves the frame to msg.image', async () => {
    await helper.load(ALL_NODES, flow());
    const out = helper.getNode('out');
    const got = collect(out, 1);
    helper.getNode('d').receive({ payload: frame, topic: 'cam/door', extra: 42 });
    const [msg] = await got;
    assert.equal(msg.topic, 'cam/door');
    assert.equal(msg.extra, 42);
    assert.ok(Buffer.isBuffer(msg.image) && msg.image.equals(frame));
    assert.equal(msg.payload.length, 1);
    const f = msg.payload[0];
    assert.ok(f.box.x > 150 && f.box.x < 300 && f.box.width > 150 && f.box.width < 260, JSON.stringify(f.box));
    assert.equal(f.keypoints.length, 6);
    assert.deepEqual(msg.imageSize, { width: 640, height: 480 });
    assert.equal(msg.faceCount, 1);
    assert.ok(msg.inferenceMs > 0);
    assert.equal(msg.annotated, undefined);
  });

  it('accepts a data URL and raw pixels, and reports an empty list for a frame without faces', async () => {
    await helper.load(ALL_NODES, flow({ busy: 'queue', queueSize: 5 }));
    const out = helper.getNode('out');
    const got = collect(out, 4);
    const raw = await sharp(frame).raw().toBuffer({ resolveWithObject: true });
    const rgba = await sharp(frame).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    helper.getNode('d').receive({ payload: `data:image/jpeg;base64,${frame.toString('base64')}` });
    helper.getNode('d').receive({ payload: { data: raw.data, width: raw.info.width, height: raw.info.height, channels: 3 } });
    // A canvas's ImageData: RGBA in a Uint8ClampedArray.
    helper
      .getNode('d')
      .receive({ payload: { data: new Uint8ClampedArray(rgba.data), width: rgba.info.width, height: rgba.info.height, channels: 4 } });
    helper.getNode('d').receive({ payload: { data: new Uint8Array(64 * 48 * 3).fill(90), width: 64, height: 48, channels: 3 } });
    const [a, b, c, d] = await got;
    assert.equal(a.payload.length, 1);
    assert.equal(b.payload.length, 1, 'the photo as raw RGB pixels: the same face');
    assert.deepEqual(b.imageSize, { width: 640, height: 480 });
    assert.equal(c.payload.length, 1, 'as RGBA ImageData');
    assert.ok(Math.abs(b.payload[0].box.x - a.payload[0].box.x) < 8, "the box matches the JPEG's");
    assert.equal(d.payload.length, 0);
  });

  it('adds an annotated JPEG and annotate-image annotations when asked', async () => {
    await helper.load(ALL_NODES, flow({ annotate: true }));
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('d').receive({ payload: frame });
    const [msg] = await got;
    assert.equal(msg.annotated[0], 0xff);
    assert.equal(msg.annotated[1], 0xd8);
    const meta = await sharp(msg.annotated).metadata();
    assert.equal(meta.width, 640);
    assert.equal(msg.annotations[0].type, 'rect');
    assert.equal(msg.annotations[0].bbox.length, 4);
    assert.match(msg.annotations[0].label, /^face \d+%$/);
  });

  const badInputs = [
    ['a corrupt image', Buffer.from('definitely not a jpeg'), /not a decodable image/],
    ['an empty buffer', Buffer.alloc(0), /empty/],
    ['a number', 12, /expected an image Buffer/],
    ['a truncated JPEG', frame.subarray(0, 3000), /decode/],
  ];
  for (const [what, payload, re] of badInputs) {
    it(`reports ${what} to a Catch node and keeps running`, async () => {
      await helper.load(ALL_NODES, flow());
      const caught = collect(helper.getNode('caught'), 1);
      const ok = collect(helper.getNode('out'), 1);
      const status = recordStatus(helper.getNode('d'));
      helper.getNode('d').receive({ payload, _msgid: 'bad' });
      const [c] = await caught;
      assert.match(c.error.message, re);
      assert.equal(c.error.source.id, 'd');
      assert.ok(status.some((s) => s.fill === 'red'));
      helper.getNode('d').receive({ payload: frame });
      assert.equal((await ok)[0].payload.length, 1, 'the node still works after the error');
    });
  }

  it('refuses an image over the size limit', async () => {
    await helper.load(ALL_NODES, flow({ maxMegapixels: 0.1 }));
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('d').receive({ payload: frame });
    assert.match((await caught)[0].error.message, /over the limit/);
  });

  it('drops frames that arrive while busy, completes them and counts them in the status', () =>
    withWorkers(0, async () => {
      // in-thread: one frame in flight, the busy policies alone
      await helper.load(ALL_NODES, flow({ busy: 'drop' }));
      const d = helper.getNode('d');
      const status = recordStatus(d);
      let outputs = 0;
      helper.getNode('out').on('input', () => outputs++);
      for (let i = 0; i < 5; i++) d.receive({ payload: frame, n: i });
      await until(() => outputs === 1 && status.some((s) => /4 dropped/.test(s.text || '')));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(outputs, 1);
    }));

  it('with inference workers, works on one frame per worker plus two and drops the rest', () =>
    withWorkers(2, async () => {
      await helper.load(ALL_NODES, flow({ busy: 'drop' }));
      const d = helper.getNode('d');
      const status = recordStatus(d);
      const seen = [];
      helper.getNode('out').on('input', (m) => seen.push(m.n));
      for (let i = 0; i < 8; i++) d.receive({ payload: frame, n: i });
      await until(() => seen.length === 4 && status.some((s) => /4 dropped/.test(s.text || '')));
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(seen, [0, 1, 2, 3]); // in the order they came
    }));

  it('keep latest: processes the first frame and then only the newest waiting one', () =>
    withWorkers(0, async () => {
      // in-thread: one frame in flight, the busy policies alone
      await helper.load(ALL_NODES, flow({ busy: 'latest' }));
      const d = helper.getNode('d');
      const got = collect(helper.getNode('out'), 2);
      for (let i = 0; i < 5; i++) d.receive({ payload: frame, n: i });
      const msgs = await got;
      assert.deepEqual(
        msgs.map((m) => m.n),
        [0, 4],
      );
    }));

  it('a bounded queue processes up to its size and drops the rest', () =>
    withWorkers(0, async () => {
      // in-thread: one frame in flight, the busy policies alone
      await helper.load(ALL_NODES, flow({ busy: 'queue', queueSize: 2 }));
      const d = helper.getNode('d');
      const status = recordStatus(d);
      const got = collect(helper.getNode('out'), 3);
      for (let i = 0; i < 6; i++) d.receive({ payload: frame, n: i });
      assert.deepEqual(
        (await got).map((m) => m.n),
        [0, 1, 2],
      );
      await until(() => status.some((s) => /3 dropped/.test(s.text || '')));
    }));

  it('shows loading, ready and per-frame status', async () => {
    await helper.load(ALL_NODES, flow());
    const d = helper.getNode('d');
    const status = recordStatus(d);
    const got = collect(helper.getNode('out'), 1);
    d.receive({ payload: frame });
    await got;
    await until(() => status.some((s) => /^1 face · \d+ ms$/.test(s.text || '')));
  });

  it('shares one session between nodes and releases it on close (no leak across redeploys)', async () => {
    const base = liveSessionCount();
    for (let round = 0; round < 3; round++) {
      const f = flow();
      f.push({ ...f[1], id: 'd2', wires: [['out']] });
      await helper.load(ALL_NODES, f);
      const got = collect(helper.getNode('out'), 2);
      helper.getNode('d').receive({ payload: frame });
      helper.getNode('d2').receive({ payload: frame });
      await got;
      assert.equal(liveSessionCount(), base + 1, 'two nodes of one model share one session');
      await helper.unload();
      assert.equal(liveSessionCount(), base, 'the session is released when the flow stops');
    }
  });
});
