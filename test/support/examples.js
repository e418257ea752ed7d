'use strict';
/** The example flows as tests deploy them: with recorders of what their nodes produce, and a poller. */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./paths');

/** Polls `check` every 500 ms until it gives a value; fails with `log()` after `ms`. */
async function waitFor(what, check, log, ms = 120000) {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: timed out\n${log()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every example flow, plus file nodes that record what the detect and classify nodes send and a status log. */
function examplesWithRecorders(userDir) {
  const dir = path.join(ROOT, 'examples');
  const flow = fs.readdirSync(dir).flatMap((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  const byId = new Map(flow.map((n) => [n.id, n]));
  const record = (from, file) => {
    const id = `rec-${from}`;
    byId.get(from).wires[0].push(id);
    flow.push({
      id,
      z: byId.get(from).z,
      type: 'file',
      filename: path.join(userDir, file),
      filenameType: 'str',
      appendNewline: false,
      createDir: true,
      overwriteFile: 'true',
      encoding: 'none',
      wires: [[]],
    });
  };
  record('d1', 'detect.json');
  record('k2', 'classify.json');
  const z = byId.get('k2').z;
  flow.push(
    { id: 'st-k2', z, type: 'status', scope: ['k2'], wires: [['st-text']] },
    {
      id: 'st-text',
      z,
      type: 'change',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status.text', tot: 'msg' }],
      wires: [['st-file']],
    },
    {
      id: 'st-file',
      z,
      type: 'file',
      filename: path.join(userDir, 'status.txt'),
      filenameType: 'str',
      appendNewline: true,
      createDir: true,
      overwriteFile: 'false',
      encoding: 'none',
      wires: [[]],
    },
  );
  return flow;
}

module.exports = { examplesWithRecorders, waitFor };
