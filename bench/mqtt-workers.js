#!/usr/bin/env node
'use strict';
/**
 * Distributed inference throughput and latency on this machine: 1, 2 and 3 `lightexnet worker` processes
 * (one inference thread and 2 slots each) on a local mosquitto, 640x480 JPEG frames with one face.
 *   - frames/s: 400 frames published at once (4 cameras), first publish to last result;
 *   - latency: capture to result received, at 10 frames/s.
 *
 *   npm run build && node bench/mqtt-workers.js     (writes bench/results/mqtt-workers.json)
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startMosquitto } = require('../test/support/mosquitto');
const { sampleFrames, resultCollector, publishFrames } = require('../test/support/frame-publisher');

const ROOT = path.resolve(__dirname, '..');
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function startWorker(url, id) {
  return spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'lightexnet.js'), 'worker', '--broker', url, '--slots', '2', '--max-age-ms', '600000', '--id', id],
    {
      env: { ...process.env, LIGHTEXNET_WORKERS: '1' },
      stdio: 'ignore',
    },
  );
}

async function waitFor(check, ms = 120000) {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await delay(20);
  }
}

async function run(broker, frames, n) {
  const results = await resultCollector(broker.url);
  const procs = Array.from({ length: n }, (_, i) => startWorker(broker.url, `w${i}`));
  try {
    const ids = () => new Set(results.arrivals.filter((r) => r.camera === 'warmup').map((r) => r.worker));
    while (ids().size < n) {
      await publishFrames(broker.url, { cameras: ['warmup'], perCamera: 1, fps: 100, frames });
      await delay(300);
    }
    await delay(1000);
    results.arrivals.length = 0;
    results.seen.clear();

    const cameras = ['a', 'b', 'c', 'd'];
    const t0 = Date.now();
    const burst = await publishFrames(broker.url, { cameras, perCamera: 100, fps: 100000, frames });
    await waitFor(() => results.distinct() === burst.length);
    const seconds = (Math.max(...results.arrivals.map((r) => r.receivedAt)) - t0) / 1000;
    const perWorker = {};
    for (const r of results.arrivals) perWorker[r.worker] = (perWorker[r.worker] ?? 0) + 1;
    results.arrivals.length = 0;
    results.seen.clear();

    const paced = await publishFrames(broker.url, { cameras, perCamera: 25, fps: 10, frames });
    await waitFor(() => results.distinct() === paced.length);
    const latency = results.arrivals.map((r) => r.receivedAt - r.capturedAt);
    const inference = results.arrivals.map((r) => r.timings.inferenceMs);
    return {
      workers: n,
      framesPerSecond: +(burst.length / seconds).toFixed(1),
      perWorker,
      latencyMs: { p50: pct(latency, 50), p95: pct(latency, 95), max: Math.max(...latency) },
      inferenceMs: { p50: pct(inference, 50), p95: pct(inference, 95) },
    };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null ? null : new Promise((r) => p.once('exit', r)))));
    await results.close();
  }
}

(async () => {
  const broker = await startMosquitto();
  const frames = await sampleFrames(640);
  const runs = [];
  try {
    for (const n of [1, 2, 3]) {
      const r = await run(broker, frames, n);
      console.log(JSON.stringify(r));
      runs.push(r);
    }
  } finally {
    await broker.stop();
  }
  const out = {
    date: new Date().toISOString(),
    machine: `${require('node:os').cpus().length} cores`,
    frame: '640x480 JPEG, one face',
    runs,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'mqtt-workers.json'), JSON.stringify(out, null, 2) + '\n');
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
