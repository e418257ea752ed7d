'use strict';
/**
 * lightexnet-config: model settings shared by the inference nodes, on the real Node-RED runtime. Nodes that
 * name one run with its settings (not their own); nodes without one (flows made before it existed) run with
 * their own, as they did; a node whose config node is gone says so and runs nothing.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { helper, ALL_NODES, collect, recordStatus, until } = require('../support/flow');
const { liveSessionCount } = require('../../dist/core/runtime/onnx-backend');
const { FIXTURES } = require('../support/paths');

const frame = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));

const tab = { id: 'tab', type: 'tab' };
const out = (id) => ({ id, z: 'tab', type: 'helper' });
const caught = [
  { id: 'c', z: 'tab', type: 'catch', scope: null, wires: [['caught']] },
  { id: 'caught', z: 'tab', type: 'helper' },
];
const readyText = (status) => status.map((s) => s.text).find((t) => /^ready/.test(t ?? ''));

describe('lightexnet-config node (shared model settings)', function () {
  afterEach(async () => {
    await helper.unload();
  });

  it('nodes that name it run with its settings, not their own; a node without one keeps its own', async () => {
    await helper.load(ALL_NODES, [
      tab,
      {
        id: 'cfg',
        type: 'lightexnet-config',
        name: 'test',
        classifier: 'lightexnet-fer2013',
        views: '1',
        detector: 'full',
        runtime: 'wasm',
        threads: 1,
      },
      // Own settings that differ from the config's: ignored while `config` names it.
      { id: 'd', z: 'tab', type: 'lightexnet-face-detect', config: 'cfg', model: 'short', busy: 'queue', wires: [['d-out']] },
      { id: 'k', z: 'tab', type: 'lightexnet-classify', config: 'cfg', views: '6', detector: 'short', busy: 'queue', wires: [['k-out']] },
      { id: 'own', z: 'tab', type: 'lightexnet-classify', views: '2', detector: 'full', busy: 'queue', wires: [['own-out']] },
      out('d-out'),
      out('k-out'),
      out('own-out'),
    ]);
    const status = Object.fromEntries(['d', 'k', 'own'].map((id) => [id, recordStatus(helper.getNode(id))]));
    const got = ['d-out', 'k-out', 'own-out'].map((id) => collect(helper.getNode(id), 1));
    for (const id of ['d', 'k', 'own']) helper.getNode(id).receive({ payload: frame });
    const [[detected], [viaConfig], [viaOwn]] = await Promise.all(got);
    assert.equal(readyText(status.d), 'ready (wasm)', "face-detect runs on the config's runtime");
    assert.equal(readyText(status.k), 'ready (wasm)', "classify runs on the config's runtime");
    assert.match(readyText(status.own), /^ready \((native|wasm)\)$/);
    assert.equal(detected.payload.length, 1);
    assert.equal(viaConfig.payload.length, 1);
    assert.equal(viaOwn.payload.length, 1);
    // One view (the config's) and two views (the own node's) give different probabilities for the same face.
    assert.notDeepEqual(viaConfig.payload[0].probabilities, viaOwn.payload[0].probabilities);
  });

  it('tilted faces: the config\'s and a node\'s own setting level them (the default), or not ("off")', async () => {
    const sharp = require('sharp');
    const tilted = await sharp(frame).rotate(40, { background: '#000' }).jpeg({ quality: 95 }).toBuffer();
    await helper.load(ALL_NODES, [
      tab,
      {
        id: 'cfg',
        type: 'lightexnet-config',
        classifier: 'lightexnet-fer2013',
        views: '2',
        level: 'off',
        detector: 'full',
        runtime: 'auto',
        threads: 1,
      },
      { id: 'viaConfig', z: 'tab', type: 'lightexnet-classify', config: 'cfg', level: '', busy: 'queue', wires: [['o1']] },
      { id: 'ownOff', z: 'tab', type: 'lightexnet-classify', views: '2', level: 'off', busy: 'queue', wires: [['o2']] },
      { id: 'ownDefault', z: 'tab', type: 'lightexnet-classify', views: '2', level: '', busy: 'queue', wires: [['o3']] },
      { id: 'ownJunk', z: 'tab', type: 'lightexnet-classify', views: '2', level: 'sideways', busy: 'queue', wires: [['o4']] },
      out('o1'),
      out('o2'),
      out('o3'),
      out('o4'),
    ]);
    const got = ['o1', 'o2', 'o3', 'o4'].map((id) => collect(helper.getNode(id), 1));
    for (const id of ['viaConfig', 'ownOff', 'ownDefault', 'ownJunk']) helper.getNode(id).receive({ payload: tilted });
    const [[viaConfig], [ownOff], [ownDefault], [ownJunk]] = await Promise.all(got);
    for (const m of [viaConfig, ownOff, ownDefault, ownJunk]) assert.equal(m.payload.length, 1);
    assert.deepEqual(viaConfig.payload[0].probabilities, ownOff.payload[0].probabilities, "the config's 'off', not the node's own default");
    assert.notDeepEqual(
      ownDefault.payload[0].probabilities,
      ownOff.payload[0].probabilities,
      'a face tilted 40 degrees is levelled by default',
    );
    assert.deepEqual(ownJunk.payload[0].probabilities, ownDefault.payload[0].probabilities, 'an unreadable setting is the default');
  });

  it('nodes sharing a config share its sessions: two classify nodes hold one classifier and one detector', async () => {
    const base = liveSessionCount();
    await helper.load(ALL_NODES, [
      tab,
      { id: 'cfg', type: 'lightexnet-config', classifier: 'lightexnet-fer2013', views: '2', detector: 'full', runtime: 'auto', threads: 1 },
      { id: 'k1', z: 'tab', type: 'lightexnet-classify', config: 'cfg', wires: [['o1']] },
      { id: 'k2', z: 'tab', type: 'lightexnet-classify', config: 'cfg', wires: [['o2']] },
      out('o1'),
      out('o2'),
    ]);
    const got = [collect(helper.getNode('o1'), 1), collect(helper.getNode('o2'), 1)];
    helper.getNode('k1').receive({ payload: frame });
    helper.getNode('k2').receive({ payload: frame });
    const [[a], [b]] = await Promise.all(got);
    assert.deepEqual(a.payload[0].probabilities, b.payload[0].probabilities);
    assert.equal(liveSessionCount(), base + 2);
  });

  it('a config naming a model that does not exist: every node using it reports it, nothing crashes', async () => {
    await helper.load(ALL_NODES, [
      tab,
      { id: 'cfg', type: 'lightexnet-config', classifier: 'no-such-model', views: '', detector: 'full', runtime: 'auto', threads: 1 },
      { id: 'k', z: 'tab', type: 'lightexnet-classify', config: 'cfg', wires: [['o']] },
      out('o'),
      ...caught,
    ]);
    const status = recordStatus(helper.getNode('k'));
    const errors = collect(helper.getNode('caught'), 1);
    helper.getNode('k').receive({ payload: frame });
    const [err] = await errors;
    assert.match(err.error.message, /model not loaded: .*no-such-model/);
    await until(() => status.some((s) => s.fill === 'red' && /model not loaded/.test(s.text)));
  });

  it('a node whose config node is missing says so and runs nothing (no silent defaults)', async () => {
    await helper.load(ALL_NODES, [
      tab,
      { id: 'd', z: 'tab', type: 'lightexnet-face-detect', config: 'deleted-config', wires: [['o']] },
      out('o'),
      ...caught,
    ]);
    const status = recordStatus(helper.getNode('d'));
    const errors = collect(helper.getNode('caught'), 1);
    helper.getNode('d').receive({ payload: frame });
    const [err] = await errors;
    assert.match(err.error.message, /model settings node \(lightexnet-config deleted-config\) is missing/);
    await until(() => status.some((s) => s.fill === 'red'));
  });
});
