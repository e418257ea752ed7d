'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./support/paths');

const OURS = ['lightexnet-face-detect', 'lightexnet-classify', 'lightexnet-expression-filter', 'lightexnet-alert-out', 'lightexnet-worker'];
const CORE = ['tab', 'comment', 'inject', 'debug', 'http request', 'mqtt out', 'mqtt in', 'mqtt-broker', 'switch', 'function', 'change'];
const dir = path.join(ROOT, 'examples');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('example flows', () => {
  it('no two example files define the same node id (importing several never conflicts)', () => {
    const seen = new Map();
    for (const f of files) {
      for (const n of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) {
        assert.ok(!seen.has(n.id), `${n.id} is in ${seen.get(n.id)} and ${f}`);
        seen.set(n.id, f);
      }
    }
  });

  it('there is an example for every node and package.json ships them', () => {
    const types = new Set(files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).map((n) => n.type)));
    for (const t of OURS) assert.ok(types.has(t), `an example uses ${t}`);
    assert.ok(require(path.join(ROOT, 'package.json')).files.includes('examples/'));
  });

  for (const f of files) {
    it(`${f}: valid flow of our nodes and core nodes only, with a comment`, () => {
      const flow = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const ids = new Set(flow.map((n) => n.id));
      assert.equal(ids.size, flow.length, 'unique ids');
      for (const n of flow) {
        assert.ok([...OURS, ...CORE].includes(n.type), `${n.type} is ours or a core node`);
        for (const out of n.wires || []) for (const target of out) assert.ok(ids.has(target), `${n.id} wires to ${target}`);
        if (['mqtt in', 'mqtt out', 'lightexnet-alert-out', 'lightexnet-worker'].includes(n.type))
          assert.ok(ids.has(n.broker), 'the broker config node is included');
      }
      assert.ok(
        flow.some((n) => n.type === 'comment' && n.info),
        'a comment node explains it',
      );
      // Imports as named tabs (not "Flow 1"), every flow node on one of them.
      const tabs = flow.filter((n) => n.type === 'tab');
      assert.ok(tabs.length > 0 && tabs.every((t) => t.label.startsWith('LightExNet: ')), 'named tabs');
      const configTypes = ['tab', 'mqtt-broker'];
      for (const n of flow.filter((x) => !configTypes.includes(x.type)))
        assert.ok(
          tabs.some((t) => t.id === n.z),
          `${n.id} is on a tab`,
        );
      // Runs on any Node-RED: nothing fetched from a host and port of ours, and at most one broker node.
      assert.doesNotMatch(JSON.stringify(flow), /127\.0\.0\.1:1880|localhost:1880/);
      assert.ok(flow.filter((n) => n.type === 'mqtt-broker').length <= 1, 'one broker node per file');
    });
  }
});
