'use strict';
/**
 * Node-RED's event loop while it classifies a camera stream: a real Node-RED runtime (the test helper's),
 * one lightexnet-classify node at its defaults (detect mode), fed 640x480 JPEG frames with three faces at a
 * fixed rate. Measures the event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution), frames
 * answered and dropped, the node's per-frame time and resident memory. Prints JSON.
 *
 *   npm run build && node bench/event-loop.js [--fps 10] [--seconds 30] [--workers N]
 *
 * --workers sets LIGHTEXNET_WORKERS (0 = inference on Node-RED's own thread, as before worker threads).
 */
const { parseArgs } = require('node:util');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const { values } = parseArgs({
  options: {
    fps: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '30' },
    workers: { type: 'string' },
  },
});
if (values.workers !== undefined) process.env.LIGHTEXNET_WORKERS = values.workers;
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const { benchFrames } = require('./support/frames');

const pct = (h, p) => Math.round(h.percentile(p) / 1e4) / 100;

async function main() {
  const frame = (await benchFrames())[3];
  const flow = [
    { id: 't', type: 'tab' },
    { id: 'k', z: 't', type: 'lightexnet-classify', wires: [['out']] },
    { id: 'out', z: 't', type: 'helper' },
  ];
  await new Promise((r) => helper.load([require('../nodes/lightexnet-classify.js')], flow, r));
  const out = helper.getNode('out');
  const node = helper.getNode('k');
  // Ready: the first frame answered (models loaded).
  await new Promise((resolve) => {
    out.once('input', resolve);
    node.receive({ payload: frame });
  });
  let answered = 0;
  let faces = 0;
  const ms = [];
  out.on('input', (m) => {
    answered++;
    faces += m.faceCount;
    ms.push(m.inferenceMs);
  });
  const fps = Number(values.fps);
  const seconds = Number(values.seconds);
  const h = monitorEventLoopDelay({ resolution: 1 });
  const rss0 = process.memoryUsage().rss;
  h.enable();
  let sent = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - t0 >= seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      sent++;
      node.receive({ payload: Buffer.from(frame) });
    }, 1000 / fps);
  });
  await new Promise((r) => setTimeout(r, 500)); // the last frames in flight
  h.disable();
  ms.sort((a, b) => a - b);
  const result = {
    workers: process.env.LIGHTEXNET_WORKERS ?? 'default',
    fps,
    seconds,
    sent,
    answered,
    dropped: sent - answered,
    facesPerFrame: answered ? Math.round((faces / answered) * 100) / 100 : 0,
    nodeMsPerFrame: { median: ms[ms.length >> 1], p90: ms[Math.floor(ms.length * 0.9)] },
    eventLoopDelayMs: { p50: pct(h, 50), p99: pct(h, 99), max: Math.round(h.max / 1e4) / 100, mean: Math.round(h.mean / 1e4) / 100 },
    rssMB: { start: Math.round(rss0 / 1e6), end: Math.round(process.memoryUsage().rss / 1e6) },
  };
  console.log(JSON.stringify(result, null, 2));
  await helper.unload();
  await new Promise((r) => (helper.stopServer ? helper.stopServer(r) : r()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
