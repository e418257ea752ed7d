'use strict';
/**
 * Distributed inference on loopback with a real mosquitto: 4 cameras x 250 frames shared by three workers
 * (two Node-RED runtimes running lightexnet-worker, one `lightexnet worker` process). Every frame's result
 * arrives (exactly once after dropping repeats by camera and seq), and the expression filter's reorder
 * (ResultSequencer) gives each camera's results in frame order. Then again with one Node-RED killed mid-run:
 * what mosquitto drops is what the README documents (frames it had assigned to the dead worker), and the
 * others go on.
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ROOT } = require('../support/paths');
const { startMosquitto } = require('../support/mosquitto');
const { startNodeRedProcess } = require('../support/node-red-process');
const { sampleFrames, resultCollector, publishFrames } = require('../support/frame-publisher');
const { ResultSequencer } = require('../../dist/core/distributed/result-sequencer');

const CAMERAS = ['door', 'hall', 'shop', 'yard'];
const PER_CAMERA = 250;
const FPS = 40; // in total, over the four cameras
const ENV = { ...process.env, LIGHTEXNET_WORKERS: '1', ORT_DISABLE_TELEMETRY: '1' };

async function until(what, check, ms = 120000) {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A Node-RED runtime (its own process) whose only flow is a lightexnet-worker on the broker. */
function startNodeRedWorker(brokerPort, name) {
  return startNodeRedProcess({
    name,
    env: ENV,
    flows: [
      { id: 'tab', type: 'tab', label: 'worker' },
      {
        id: 'b',
        type: 'mqtt-broker',
        name: 'broker',
        broker: '127.0.0.1',
        port: String(brokerPort),
        protocolVersion: '5',
        autoConnect: true,
        cleansession: true,
      },
      {
        id: 'w',
        z: 'tab',
        type: 'lightexnet-worker',
        name: name,
        broker: 'b',
        group: 'lightexnet',
        slots: 2,
        maxAgeSeconds: 600,
        wires: [[]],
      },
    ],
  });
}

function startCliWorker(brokerPort) {
  let log = '';
  const proc = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'lightexnet.js'),
      'worker',
      '--broker',
      `mqtt://127.0.0.1:${brokerPort}`,
      '--slots',
      '2',
      '--max-age-ms',
      '600000',
      '--id',
      'cli',
    ],
    { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  return {
    name: 'cli',
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}

/** Runs the filter's reorder over the arrivals (as lightexnet-expression-filter does) and checks the order. */
function reorderLikeTheFilter(arrivals) {
  const seq = new ResultSequencer({ window: 16, maxWaitMs: 2000 });
  const released = new Map(CAMERAS.map((c) => [c, []]));
  for (const r of arrivals) for (const x of seq.push(r.camera, r.seq, r, r.receivedAt)) released.get(x.camera).push(x.seq);
  for (const { camera, items } of seq.flush(Infinity)) released.get(camera).push(...items.map((x) => x.seq));
  for (const [camera, seqs] of released) {
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `${camera}: ${seqs[i - 1]} then ${seqs[i]}`);
  }
  return { released, stats: seq.stats };
}

describe('distributed inference: MQTT 5 shared subscription, 3 workers, real mosquitto', function () {
  this.timeout(600000);
  let broker;
  let frames;
  let workers = [];

  before(async () => {
    broker = await startMosquitto();
    frames = await sampleFrames();
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
  });

  after(async () => broker?.stop());

  /** Starts the three workers and waits until each has answered a warm-up frame. */
  async function startWorkers(results) {
    workers = [await startNodeRedWorker(broker.port, 'nr-a'), await startNodeRedWorker(broker.port, 'nr-b'), startCliWorker(broker.port)];
    const answered = () => new Set(results.arrivals.filter((r) => r.camera === 'warmup').map((r) => r.worker));
    // A warm-up frame every 0.3 s until each worker has answered one (frames sent before a worker has
    // subscribed reach the others or nobody).
    const t0 = Date.now();
    for (let seq = 0; answered().size < 3; seq++) {
      for (const w of workers) if (w.proc.exitCode !== null) throw new Error(`${w.name} exited:\n${w.log()}`);
      if (Date.now() - t0 > 180000) throw new Error(`only ${[...answered()].join(', ')} answered`);
      await publishFrames(broker.url, { cameras: ['warmup'], perCamera: 1, fps: 100, frames });
      await new Promise((r) => setTimeout(r, 300));
    }
    results.arrivals.length = 0;
    results.seen.clear();
    return [...answered()];
  }

  it('4 cameras x 250 frames: every result arrives once (after dropping repeats), in order after the reorder', async () => {
    const results = await resultCollector(broker.url);
    try {
      await startWorkers(results);
      const published = await publishFrames(broker.url, { cameras: CAMERAS, perCamera: PER_CAMERA, fps: FPS, frames });
      await until('every result', () => results.distinct() === published.length, 180000);
      await new Promise((r) => setTimeout(r, 500)); // late repeats, if any
      const byWorker = {};
      for (const r of results.arrivals) byWorker[r.worker] = (byWorker[r.worker] ?? 0) + 1;
      console.log(`      results per worker: ${JSON.stringify(byWorker)}, repeats: ${results.repeats()}`);
      assert.equal(Object.keys(byWorker).length, 3, 'all three workers took frames');
      for (const camera of CAMERAS) assert.equal(results.seen.get(camera).size, PER_CAMERA, camera);
      assert.ok(
        results.arrivals.every((r) => !r.skipped && r.faces.length === 1 && r.expression),
        'every frame inferred, one face each',
      );
      const { released, stats } = reorderLikeTheFilter(results.arrivals);
      for (const camera of CAMERAS) assert.deepEqual(released.get(camera), [...Array(PER_CAMERA).keys()], camera);
      assert.equal(stats.lost, 0);
    } finally {
      await results.close();
    }
  });

  it('one Node-RED worker killed mid-run: only frames mosquitto had given it are lost; the others go on', async () => {
    const results = await resultCollector(broker.url);
    try {
      await startWorkers(results);
      const victim = workers[0];
      let killedAt;
      const published = await publishFrames(broker.url, {
        cameras: CAMERAS,
        perCamera: PER_CAMERA,
        fps: FPS,
        frames,
        onProgress: (n) => {
          if (n === 300) {
            killedAt = Date.now();
            victim.proc.kill('SIGKILL');
          }
        },
      });
      const done = () => {
        const have = (p) => results.seen.get(p.camera)?.has(p.seq);
        // Everything published once the broker has seen the victim go must come back.
        return published.filter((p) => p.capturedAt > killedAt + 1000).every(have);
      };
      await until('the survivors answer every later frame', done, 180000);
      await new Promise((r) => setTimeout(r, 3000)); // what is still on its way
      const missing = published.filter((p) => !results.seen.get(p.camera)?.has(p.seq));
      const survivors = new Set(results.arrivals.filter((r) => r.receivedAt > killedAt + 1000).map((r) => r.worker));
      console.log(
        `      killed after ${published.findIndex((p) => p.capturedAt >= killedAt)} frames; lost ${missing.length} of ${published.length}` +
          ` (published ${missing.length ? Math.min(...missing.map((p) => killedAt - p.capturedAt)) : 0}-${missing.length ? Math.max(...missing.map((p) => killedAt - p.capturedAt)) : 0} ms before the kill); workers after it: ${[...survivors].join(', ')}`,
      );
      assert.equal(survivors.size, 2, 'the two other workers go on');
      // mosquitto assigns a shared-subscription message to a member when it is published and drops what was
      // in flight or queued for a member whose session ends: so only frames published before the kill.
      assert.ok(
        missing.every((p) => p.capturedAt <= killedAt + 1000),
        'nothing published after the kill is lost',
      );
      assert.ok(missing.length < 300 / 3, `lost ${missing.length}: at most the victim's share of the frames before the kill`);
      const { stats } = reorderLikeTheFilter(results.arrivals);
      assert.equal(stats.lost, missing.filter((p) => p.seq < PER_CAMERA - 1).length, 'the reorder counts them lost and moves on');
    } finally {
      await results.close();
    }
  });
});
