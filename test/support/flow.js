'use strict';
/** Helpers for node tests on the real Node-RED runtime (node-red-node-test-helper). */
const helper = require('node-red-node-test-helper');
const config = require('../../nodes/lightexnet-config.js');
const faceDetect = require('../../nodes/lightexnet-face-detect.js');
const classify = require('../../nodes/lightexnet-classify.js');
const filter = require('../../nodes/lightexnet-expression-filter.js');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

helper.init(require.resolve('node-red'));

const ALL_NODES = [config, faceDetect, classify, filter, catchNode];

/** Records every status a node sets, so tests can read the status line. */
function recordStatus(node) {
  const seen = [];
  const orig = node.status.bind(node);
  node.status = (s) => {
    seen.push(s);
    return orig(s);
  };
  return seen;
}

/** Resolves with the next `count` messages arriving at a helper node. */
function collect(node, count, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => reject(new Error(`expected ${count} message(s), got ${got.length}`)), timeoutMs);
    node.on('input', (msg) => {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

/** Waits until `pred()` is true (polling), for things that happen without a message. */
async function until(pred, timeoutMs = 60000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A tab with the node under test wired to helper `out`, and a Catch node feeding helper `caught`; `extra`
 * adds nodes.
 */
function nodeFlow(node, extra = []) {
  return [
    { id: 'tab', type: 'tab' },
    { z: 'tab', ...node, wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'c', z: 'tab', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
    ...extra,
  ];
}

/** nodeFlow with a lightexnet-classify node `k` (short-range detection, a queue of 10); `props` override its settings. */
const classifyFlow = (props = {}, extra = []) =>
  nodeFlow({ id: 'k', type: 'lightexnet-classify', mode: 'detect', detector: 'short', busy: 'queue', queueSize: 10, ...props }, extra);

module.exports = { helper, ALL_NODES, nodeFlow, classifyFlow, recordStatus, collect, until };
