'use strict';
/**
 * What the nodes' status shows for a 640x480 frame with one face: lightexnet-face-detect -> lightexnet-classify in a
 * real Node-RED runtime, frames sent one after another; prints the last status text of each node and the
 * medians of msg.inferenceMs. Prints JSON.
 *
 *   npm run build && node bench/node-status.js [--frames 50]
 */
const fs = require('node:fs');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

const FRAMES = Number(process.argv[process.argv.indexOf('--frames') + 1]) || 50;
const frame = fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'astronaut-640x480.jpg'));
const nodes = [require('../nodes/lightexnet-face-detect.js'), require('../nodes/lightexnet-classify.js')];
const flow = [
  { id: 'd', type: 'lightexnet-face-detect', model: 'short', busy: 'queue', queueSize: 1, wires: [['k']] },
  { id: 'k', type: 'lightexnet-classify', busy: 'queue', queueSize: 1, wires: [['out']] },
  { id: 'out', type: 'helper' },
];

helper.load(nodes, flow, async () => {
  const status = {};
  for (const id of ['d', 'k']) {
    const n = helper.getNode(id);
    const orig = n.status.bind(n);
    n.status = (s) => {
      status[id] = s.text;
      orig(s);
    };
  }
  const detectMs = [];
  const classifyMs = [];
  for (let i = 0; i < FRAMES; i++) {
    const done = new Promise((resolve) => helper.getNode('out').once('input', resolve));
    const d = helper.getNode('d');
    d.once('input', () => {});
    helper.getNode('k').once('input', (msg) => detectMs.push(msg.inferenceMs));
    d.receive({ payload: frame });
    const msg = await done;
    classifyMs.push(msg.inferenceMs);
  }
  const med = (a) => a.slice(5).sort((x, y) => x - y)[Math.floor((a.length - 5) / 2)];
  console.log(
    JSON.stringify({
      frames: FRAMES,
      status: { 'lightexnet-face-detect': status.d, 'lightexnet-classify': status.k },
      median_ms: { 'lightexnet-face-detect': med(detectMs), 'lightexnet-classify': med(classifyMs) },
    }),
  );
  await helper.unload();
  process.exit(0);
});
