'use strict';
/**
 * Soak: frames through lightexnet-face-detect -> lightexnet-classify -> lightexnet-expression-filter in a real Node-RED runtime,
 * with full redeploys while frames flow, at the nodes' default settings. Samples resident memory, heap, open
 * file descriptors and live ONNX sessions as it goes, and counts errors at a Catch node ("Session already
 * disposed" among them). Prints JSON.
 *
 * The first --warmup frames (one redeploy among them) go through before the measured --frames and are not
 * compared: resident memory climbs over the first frames, and again at the first redeploy (the new flow's
 * sessions open before the old ones close), as the allocators of Node, libvips and onnxruntime reach the
 * sizes a stream needs. That is no leak, but would count as one if the early third of the samples held it.
 * The series shows the warm-up too (negative frame numbers).
 *
 *   npm run build && node --expose-gc bench/soak.js [--frames 20000] [--redeploys 100] [--warmup 2000]
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const { liveSessionCount } = require('../dist/core/runtime/onnx-backend');

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    redeploys: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '2000' },
  },
});
const WARMUP = Number(values.warmup);
const FRAMES = Number(values.frames);
const REDEPLOYS = Number(values.redeploys);
const frame = fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'astronaut-640x480.jpg'));
const nodes = [
  require('../nodes/lightexnet-face-detect.js'),
  require('../nodes/lightexnet-classify.js'),
  require('../nodes/lightexnet-expression-filter.js'),
  require('@node-red/nodes/core/common/25-catch.js'),
];
const flow = (gen) => [
  { id: 't', type: 'tab' },
  { id: 'd', z: 't', type: 'lightexnet-face-detect', name: `gen ${gen}`, busy: 'drop', wires: [['k']] },
  { id: 'k', z: 't', type: 'lightexnet-classify', busy: 'drop', wires: [['f', 'out']] },
  { id: 'f', z: 't', type: 'lightexnet-expression-filter', expressions: 'happy', holdFrames: 3, wires: [['alerts'], []] },
  { id: 'out', z: 't', type: 'helper' },
  { id: 'alerts', z: 't', type: 'helper' },
  { id: 'c', z: 't', type: 'catch', scope: null, wires: [['caught']] },
  { id: 'caught', z: 't', type: 'helper' },
];

const fds = () => fs.readdirSync('/proc/self/fd').length;
const sample = (frames) => ({
  frames,
  rssMB: Math.round(process.memoryUsage().rss / 1e6),
  heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  fds: fds(),
  sessions: liveSessionCount(),
});

async function main() {
  await new Promise((r) => helper.load(nodes, flow(0), r));
  const errors = {};
  let outputs = 0;
  const wire = () => {
    helper.getNode('out').on('input', () => outputs++);
    helper.getNode('caught').on('input', (m) => {
      const k = m.error.message.slice(0, 80);
      errors[k] = (errors[k] || 0) + 1;
    });
  };
  wire();
  const series = [];
  const every = Math.max(1, Math.floor(FRAMES / (REDEPLOYS + 1)));
  const t0 = Date.now();
  let redeploys = 0;
  for (let i = -WARMUP; i < FRAMES; i++) {
    const warmupRedeploy = WARMUP > 0 && i === -Math.floor(WARMUP / 2);
    if (warmupRedeploy || (i > 0 && i % every === 0 && redeploys < REDEPLOYS)) {
      // Redeploy while frames flow: three frames go in just before, unawaited.
      for (let j = 0; j < 3; j++) helper.getNode('d').receive({ payload: frame, topic: 'cam' });
      await helper.setFlows(flow(warmupRedeploy ? 'warm-up' : ++redeploys), 'full');
      wire();
    }
    const done = new Promise((resolve) => {
      const k = helper.getNode('out');
      const timer = setTimeout(resolve, 2000); // a dropped frame sends nothing
      k.once('input', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    helper.getNode('d').receive({ payload: frame, topic: 'cam' });
    await done;
    if (i % 500 === 0 || i === FRAMES - 1) {
      // node-red-node-test-helper spies with sinon on Node-RED's log and on every node's send, receive,
      // status, log… and sinon keeps each call (7 metric log events and several node calls per frame, with
      // their arguments): ~18 KB a frame that is the harness's memory, not the nodes'. Forget them.
      helper._sandbox.resetHistory();
      if (global.gc) global.gc();
      series.push(sample(i));
    }
  }
  const measured = series.filter((s) => s.frames >= 0);
  const third = Math.max(1, Math.floor(measured.length / 3));
  const mean = (a, k) => a.reduce((s, x) => s + x[k], 0) / a.length;
  const early = measured.slice(0, third);
  const late = measured.slice(-third);
  const change = (k) => Math.round((mean(late, k) / mean(early, k) - 1) * 1000) / 10;
  console.log(
    JSON.stringify(
      {
        frames: FRAMES,
        warmup: WARMUP,
        redeploys,
        outputs,
        seconds: Math.round((Date.now() - t0) / 1000),
        errors,
        rssChangePercent: change('rssMB'),
        rssRangeMB: [Math.min(...measured.map((s) => s.rssMB)), Math.max(...measured.map((s) => s.rssMB))],
        fdsChangePercent: change('fds'),
        sessionsMax: Math.max(...series.map((s) => s.sessions)),
        series,
      },
      null,
      1,
    ),
  );
  await helper.unload();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
