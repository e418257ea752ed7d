'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./support/paths');

const OURS = ['face-detect', 'lightexnet-classify', 'expression-filter', 'lightexnet-alert-out'];
const CORE = ['tab', 'comment', 'inject', 'debug', 'http request', 'mqtt out', 'mqtt in', 'mqtt-broker', 'switch', 'function', 'change'];
const dir = path.join(ROOT, 'examples');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('example flows', () => {
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
        if (['mqtt in', 'mqtt out', 'lightexnet-alert-out'].includes(n.type))
          assert.ok(ids.has(n.broker), 'the broker config node is included');
      }
      assert.ok(
        flow.some((n) => n.type === 'comment' && n.info),
        'a comment node explains it',
      );
    });
  }
});
