'use strict';
/**
 * The native runtime is tried in a child process before this process loads it (native-runtime-check.ts): one
 * that crashes or hangs there sends us to the WASM runtime instead of ending the process (Node-RED with it).
 * The crashing runtimes here are stand-in packages of the same name that raise SIGSEGV, spin, or throw.
 */
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, FIXTURES } = require('../support/paths');
const { checkNativeRuntime } = require('../../dist/core/runtime/native-runtime-check');
const { NAME, SEGFAULT, standIn, packageWithCrashingRuntime } = require('../support/stand-in-runtime');

const REAL_VERSION = JSON.parse(fs.readFileSync(require.resolve(`${NAME}/package.json`, { paths: [ROOT] }), 'utf8')).version;

const markers = (dir) => fs.readdirSync(dir).filter((f) => /^native-runtime-[0-9a-f]{20}\.ok$/.test(f));

describe('the native runtime tried in a child process first', function () {
  let tmp;
  let cache;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-native-check-'));
    cache = path.join(tmp, 'cache');
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('passes the installed runtime, and remembers the pass for this runtime version, Node and CPU', async () => {
    const v = await checkNativeRuntime({ packageName: NAME, cacheDir: cache });
    assert.deepEqual(v, { kind: 'ok', remembered: false, decoder: 'ok' });
    assert.equal(markers(cache).length, 1);
    assert.equal((fs.statSync(path.join(cache, markers(cache)[0])).mode & 0o777).toString(8), '600');
    // A later start: the same package version is not tried again (this stand-in would crash if it were).
    const same = standIn(tmp, 'same-version', SEGFAULT, REAL_VERSION);
    assert.deepEqual(await checkNativeRuntime({ packageName: NAME, resolveFrom: same, cacheDir: cache }), {
      kind: 'ok',
      remembered: true,
      decoder: 'ok',
    });
  });

  /** A stand-in whose runtime is the real one, carrying a JPEG decoder file that `onLoad` replaces. */
  function withDecoder(label, onLoad) {
    const real = path.dirname(require.resolve(`${NAME}/package.json`, { paths: [ROOT] }));
    const body = `const load = require.extensions['.node'];
      require.extensions['.node'] = (m, f) => (f.includes('jpeg-turbo') ? (${onLoad})() : load(m, f));
      module.exports = require(${JSON.stringify(real)});`;
    const from = standIn(tmp, label, body, `0.0.0-${label}`);
    const decoder = path.join(from, 'node_modules', ...NAME.split('/'), 'jpeg-turbo', 'node-napi-v7.node');
    fs.mkdirSync(path.dirname(decoder));
    fs.writeFileSync(decoder, 'not a library');
    return from;
  }

  it('passes the runtime but not a JPEG decoder that crashes as it loads, and remembers both', async () => {
    const from = withDecoder('decoder-segfault', `() => { ${SEGFAULT} }`);
    const dir = path.join(tmp, 'cache-decoder');
    assert.deepEqual(await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: dir }), {
      kind: 'ok',
      remembered: false,
      decoder: 'crashed',
    });
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, markers(dir)[0]), 'utf8')).decoder, 'crashed');
    // A later start (the same options but one, so that this process's first answer is not reused) trusts the
    // runtime and still leaves the decoder alone, without a test process.
    const model = path.join(ROOT, 'models', 'blazeface-short.onnx'); // the default
    assert.deepEqual(await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: dir, model }), {
      kind: 'ok',
      remembered: true,
      decoder: 'crashed',
    });
  });

  it('does not use a JPEG decoder that fails to load or hangs', async () => {
    const broken = withDecoder('decoder-broken', `() => { throw new Error('invalid ELF header'); }`);
    const v = await checkNativeRuntime({ packageName: NAME, resolveFrom: broken, cacheDir: undefined });
    assert.deepEqual(v, { kind: 'ok', remembered: false, decoder: 'failed' });
    const hangs = withDecoder('decoder-hangs', `() => { for (;;) {} }`);
    const h = await checkNativeRuntime({ packageName: NAME, resolveFrom: hangs, cacheDir: undefined, timeoutMs: 3000 });
    assert.deepEqual(h, { kind: 'ok', remembered: false, decoder: 'crashed' });
  });

  it('checks again where a pass was remembered before decoders were tested', async () => {
    const dir = path.join(tmp, 'cache-old-marker');
    fs.mkdirSync(dir, { mode: 0o700 });
    const from = withDecoder('decoder-old-marker', `() => { throw new Error('not this one'); }`);
    await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: dir });
    const marker = path.join(dir, markers(dir)[0]);
    fs.writeFileSync(marker, JSON.stringify({ package: NAME, version: '0.0.0-decoder-old-marker', node: process.version }));
    // A new process (a fresh check): the marker without a decoder's state does not count as a pass.
    const script = `require(${JSON.stringify(path.join(ROOT, 'dist', 'core', 'runtime', 'native-runtime-check'))})
      .checkNativeRuntime({ packageName: ${JSON.stringify(NAME)}, resolveFrom: ${JSON.stringify(from)}, cacheDir: ${JSON.stringify(dir)} })
      .then((v) => console.log(JSON.stringify(v)));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(r.stdout), { kind: 'ok', remembered: false, decoder: 'failed' });
  });

  it('reports a runtime that crashes as it loads, and remembers nothing', async () => {
    const from = standIn(tmp, 'segfault', SEGFAULT);
    const v = await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: path.join(tmp, 'cache-segfault') });
    assert.deepEqual(v, { kind: 'crashed', reason: 'crashed (SIGSEGV) when loaded in a test process' });
    assert.deepEqual(markers(path.join(tmp, 'cache-segfault')), []);
  });

  it('reports a runtime that hangs as it loads', async () => {
    const from = standIn(tmp, 'hang', 'for (;;) {}');
    const v = await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: undefined, timeoutMs: 3000 });
    assert.deepEqual(v, { kind: 'crashed', reason: 'did not load within 3 s in a test process' });
  });

  it('leaves an error JavaScript can catch to the load in this process, which reports it as before', async () => {
    const from = standIn(tmp, 'throws', "throw new Error('libonnxruntime.so.1: cannot open shared object file');");
    const v = await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: undefined });
    assert.deepEqual(v, { kind: 'unchecked', reason: 'libonnxruntime.so.1: cannot open shared object file' });
    const none = await checkNativeRuntime({ packageName: '@lightexnet/onnxruntime-nowhere-none', cacheDir: undefined });
    assert.equal(none.kind, 'unchecked');
    assert.match(none.reason, /^@lightexnet\/onnxruntime-nowhere-none not found: /);
  });

  it('learns nothing when no test process can run at all, and leaves the load to this process', async () => {
    const from = standIn(tmp, 'never-run', SEGFAULT);
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--no-such-node-option'; // children refuse to start: our script never runs
    try {
      const v = await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: undefined });
      assert.equal(v.kind, 'unchecked');
      assert.match(v.reason, /^no test process ran \(/);
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
  });

  it('neither trusts nor writes a pass in a folder others can write to', async function () {
    if (process.platform === 'win32') this.skip();
    const open = path.join(tmp, 'open');
    fs.mkdirSync(open, { mode: 0o700 });
    fs.chmodSync(open, 0o777);
    const from = standIn(tmp, 'segfault-2', SEGFAULT, REAL_VERSION);
    // A pass planted there for this very version does not stop the check.
    fs.copyFileSync(path.join(cache, markers(cache)[0]), path.join(open, markers(cache)[0]));
    const v = await checkNativeRuntime({ packageName: NAME, resolveFrom: from, cacheDir: open });
    assert.equal(v.kind, 'crashed');
  });

  describe('an installed package whose native runtime crashes', function () {
    let pkg;
    before(() => {
      pkg = packageWithCrashingRuntime(path.join(tmp, 'app'));
    });

    const cli = (env, ...args) =>
      spawnSync(process.execPath, [path.join(pkg, 'bin', 'lightexnet.js'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, LIGHTEXNET_CACHE_DIR: path.join(tmp, 'app-cache'), ...env },
      });

    it('classifies on the WASM runtime and says why, instead of crashing', () => {
      const r = cli({ LIGHTEXNET_BACKEND: 'auto' }, 'classify', path.join(FIXTURES, 'astronaut-640x480.jpg'));
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /1 face\(s\) \[lightexnet-fer2013, wasm \(@lightexnet\/onnxruntime-[a-z0-9]+-[a-z0-9]+ crashed \(SIGSEGV\) when loaded in a test process\)\]/,
      );
      assert.match(r.stdout, /happy 9\d\.\d%/);
    });

    it('is checked once per process, not once per inference worker', () => {
      const tries = path.join(tmp, 'tries.log');
      const counting = packageWithCrashingRuntime(
        path.join(tmp, 'app-counting'),
        `require('fs').appendFileSync(${JSON.stringify(tries)}, 'loaded\\n'); ${SEGFAULT}`,
      );
      const r = spawnSync(
        process.execPath,
        [path.join(counting, 'bin', 'lightexnet.js'), 'classify', path.join(FIXTURES, 'astronaut-640x480.jpg')],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            LIGHTEXNET_CACHE_DIR: path.join(tmp, 'counting-cache'),
            LIGHTEXNET_WORKERS: '3',
            LIGHTEXNET_BACKEND: 'auto',
          },
        },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /wasm \(@lightexnet\/onnxruntime-\S+ crashed \(SIGSEGV\)/);
      assert.equal(fs.readFileSync(tries, 'utf8'), 'loaded\n', 'one test process loaded the runtime, for the three workers');
    });

    it('refuses, with the reason, where only the native runtime is accepted', () => {
      const r = cli({ LIGHTEXNET_BACKEND: 'native' }, 'classify', path.join(FIXTURES, 'astronaut-640x480.jpg'));
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        /crashed \(SIGSEGV\) when loaded in a test process; with the runtime left at auto, the WASM runtime runs instead/,
      );
    });
  });
});
