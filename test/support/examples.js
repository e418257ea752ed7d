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

/**
 * Deploys `flow` (full deployment) to the Node-RED at `base`, then presses the inject buttons of examples 01
 * and 02 until each has recorded what it produced (the endpoint answers 404 until the flow runs). Returns a
 * reader of the files the recorders write in `recordDir`.
 */
async function deployAndRunExamples(base, flow, recordDir, log, headers = {}) {
  const dep = await fetch(`${base}/flows`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(flow),
  });
  if (dep.status !== 204) throw new Error(`deploy answered ${dep.status}: ${await dep.text()}`);
  const read = (f) => {
    const file = path.join(recordDir, f);
    return fs.existsSync(file) && fs.statSync(file).size > 0 ? fs.readFileSync(file, 'utf8') : undefined;
  };
  for (const [inject, file] of [
    ['i1', 'detect.json'],
    ['i2', 'classify.json'],
  ]) {
    await waitFor(
      `example ${inject}`,
      async () => {
        if (!read(file)) await fetch(`${base}/inject/${inject}`, { method: 'POST', headers });
        await new Promise((r) => setTimeout(r, 1000));
        return read(file);
      },
      log,
    );
  }
  return read;
}

module.exports = { examplesWithRecorders, waitFor, deployAndRunExamples };
