'use strict';
/**
 * FrameWorker's protocol against a real mosquitto, with inference replaced by a function the test controls
 * (the models are covered elsewhere; here what matters is when frames are taken, acknowledged and answered),
 * and what mosquitto 2.0 does with a shared subscription's frames: the facts the README documents.
 */
const assert = require('node:assert/strict');
const { startMosquitto } = require('../support/mosquitto');
const { resultCollector, publishFrames } = require('../support/frame-publisher');
const { FrameWorker } = require('../../dist/core/distributed/frame-worker');

const FRAME = Buffer.from('not decoded here');
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const face = { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9, expression: 'happy', confidence: 0.8 };

async function until(what, check, ms = 20000) {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await delay(50);
  }
}

describe('FrameWorker on a real mosquitto (MQTT 5 shared subscription)', function () {
  this.timeout(60000);
  let broker;
  let results;
  const workers = [];
  const start = async (opts, { wait = true } = {}) => {
    const w = await FrameWorker.start({ url: broker.url, ...opts });
    workers.push(w);
    if (wait) await w.ready();
    return w;
  };

  beforeEach(async () => {
    broker = await startMosquitto();
    results = await resultCollector(broker.url);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close(1000)));
    await results.close();
    await broker.stop();
  });

  it('infers at most `slots` frames at once: the broker holds the rest until one is acknowledged', async () => {
    let now = 0;
    let peak = 0;
    await start({
      workerId: 'w',
      slots: 2,
      infer: async () => {
        peak = Math.max(peak, ++now);
        await delay(100);
        now--;
        return { faces: [face], width: 10, height: 10 };
      },
    });
    await publishFrames(broker.url, { cameras: ['c'], perCamera: 10, fps: 1000, frames: [FRAME] });
    await until('10 results', () => results.distinct() === 10);
    assert.equal(peak, 2);
    const r = results.arrivals[0];
    assert.equal(r.worker, 'w');
    assert.equal(r.expression, 'happy');
    assert.ok(r.timings.inferenceMs >= 90);
  });

  it('answers a frame older than maxAgeMs with skipped: "stale" instead of inferring it', async () => {
    let inferred = 0;
    const w = await start({
      workerId: 'w',
      maxAgeMs: 1000,
      infer: async () => {
        inferred++;
        return { faces: [], width: 1, height: 1 };
      },
    });
    const client = await require('../support/frame-publisher').connect(broker.url);
    await client.publishAsync('lightexnet/frames/c', FRAME, {
      qos: 1,
      properties: { userProperties: { seq: '0', capturedAt: String(Date.now() - 5000) } },
    });
    await client.endAsync();
    await until('a result', () => results.distinct() === 1);
    assert.equal(results.arrivals[0].skipped, 'stale');
    assert.equal(inferred, 0);
    assert.equal(w.stats.stale, 1);
  });

  it('acknowledges and drops a frame without seq/capturedAt (it is not sent again)', async () => {
    const w = await start({ workerId: 'w', infer: async () => ({ faces: [], width: 1, height: 1 }) });
    const warnings = [];
    w.on('warning', (e) => warnings.push(e.message));
    const client = await require('../support/frame-publisher').connect(broker.url);
    await client.publishAsync('lightexnet/frames/c', FRAME, { qos: 1 });
    await client.endAsync();
    await until('rejected', () => w.stats.rejected === 1);
    await delay(500);
    assert.equal(w.stats.rejected, 1);
    assert.match(warnings[0], /seq/);
  });

  it('an inference error becomes a result with skipped: "error" (the frame is not lost silently)', async () => {
    await start({
      workerId: 'w',
      infer: async () => {
        throw new Error('image is corrupt');
      },
    });
    await publishFrames(broker.url, { cameras: ['c'], perCamera: 1, fps: 100, frames: [FRAME] });
    await until('a result', () => results.distinct() === 1);
    assert.equal(results.arrivals[0].skipped, 'error');
    assert.equal(results.arrivals[0].error, 'image is corrupt');
  });

  it('mosquitto assigns frames round-robin when published, and drops those a dead member held or had queued', async () => {
    // The README's note on worker failure rests on this: if a broker version changes it, this test says so.
    const stuck = await start({ workerId: 'stuck', slots: 1, infer: () => new Promise(() => undefined) });
    await start({ workerId: 'ok', slots: 1, infer: async () => ({ faces: [], width: 1, height: 1 }) });
    const published = await publishFrames(broker.url, { cameras: ['c'], perCamera: 20, fps: 200, frames: [FRAME] });
    await until('the healthy worker has answered its share', () => results.distinct() >= 10);
    await delay(500);
    assert.equal(results.distinct(), 10, 'half the frames went to the stuck member (1 in flight, 9 queued for it)');
    // Kill the stuck member without a goodbye: its session ends, and with it the frames it had.
    for (const c of stuck['clients']) c.stream.destroy();
    stuck['clients'].forEach((c) => (c.options.reconnectPeriod = 0));
    await delay(1500);
    assert.equal(results.distinct(), 10, 'none of them is given to the other member');
    const after = await publishFrames(broker.url, { cameras: ['d'], perCamera: 6, fps: 200, frames: [FRAME] });
    await until('frames published after the death all reach the survivor', () => results.distinct() === 10 + after.length);
    assert.equal(published.length, 20);
  });

  it('a worker started while the broker is away connects, subscribes and works once it is back', async () => {
    await broker.pause();
    const w = await start({ workerId: 'w', infer: async () => ({ faces: [face], width: 1, height: 1 }) }, { wait: false });
    assert.equal(w.connected, 0);
    await delay(1500);
    await broker.start();
    await w.ready();
    await results.close();
    results = await resultCollector(broker.url);
    await publishFrames(broker.url, { cameras: ['c'], perCamera: 3, fps: 100, frames: [FRAME] });
    await until('3 results', () => results.distinct() === 3);
  });
});
