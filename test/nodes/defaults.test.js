'use strict';
/**
 * One source of node defaults (src/nodes/defaults.ts): the editors' `defaults`, the example flows and the
 * demo flow must hold the same values, so a node dropped from the palette, an imported example and the
 * runtime's fallbacks agree.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { CONFIG_DEFAULTS, NODE_DEFAULTS, WORKER_DEFAULTS } = require('../../dist/nodes/defaults');
const { parseModelSettings } = require('../../dist/nodes/model-settings');
const { demoFlow } = require('../../dist/demo/demo-flow');
const { ROOT } = require('../support/paths');

/** The `value` of each property in a node's editor `defaults: { … }` block. */
function editorDefaults(type) {
  const html = fs.readFileSync(path.join(ROOT, 'nodes', `${type}.html`), 'utf8');
  const block = html.slice(html.indexOf('defaults: {'), html.indexOf('inputs:'));
  const out = {};
  for (const m of block.matchAll(/(\w+): \{ value: ('[^']*'|[\d.]+|true|false)/g)) out[m[1]] = JSON.parse(m[2].replace(/'/g, '"'));
  return out;
}

describe('node defaults (one source: src/nodes/defaults.ts)', () => {
  for (const [type, defaults] of Object.entries(NODE_DEFAULTS)) {
    it(`${type}: the editor's defaults are defaults.ts's`, () => {
      assert.deepEqual(editorDefaults(type), { ...defaults });
    });

    it(`${type}: every example flow's node starts from them (only deliberate overrides differ)`, () => {
      for (const file of fs.readdirSync(path.join(ROOT, 'examples'))) {
        const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
        for (const n of flow.filter((x) => x.type === type)) {
          for (const key of Object.keys(defaults)) assert.ok(key in n, `${file}: ${type} ${n.id} lacks ${key}`);
        }
      }
    });
  }

  it("lightexnet-worker: the editor's defaults are defaults.ts's", () => {
    assert.deepEqual(editorDefaults('lightexnet-worker'), { ...WORKER_DEFAULTS });
  });

  it("lightexnet-config: the editor's defaults are defaults.ts's, and a node without a config reads the same settings", () => {
    assert.deepEqual(editorDefaults('lightexnet-config'), { ...CONFIG_DEFAULTS });
    // An old node (no config, none of the model properties) runs with what a new config node holds.
    const fromConfig = parseModelSettings({ id: 'c', type: 'lightexnet-config', ...CONFIG_DEFAULTS });
    assert.deepEqual(parseModelSettings({ id: 'k', type: 'lightexnet-classify' }), fromConfig);
    assert.deepEqual(parseModelSettings({ id: 'k', type: 'lightexnet-classify', ...NODE_DEFAULTS['lightexnet-classify'] }), fromConfig);
    const detect = NODE_DEFAULTS['lightexnet-face-detect'];
    assert.equal(parseModelSettings({ id: 'd', type: 'lightexnet-face-detect', ...detect }, 'model').detector, fromConfig.detector);
  });

  it('the demo flow builds its nodes from them', () => {
    const flow = demoFlow();
    for (const [type, defaults] of Object.entries(NODE_DEFAULTS)) {
      const nodes = flow.filter((x) => x.type === type);
      assert.ok(nodes.length > 0, type);
      for (const n of nodes) for (const key of Object.keys(defaults)) assert.ok(key in n, `demo ${type} lacks ${key}`);
    }
  });
});
