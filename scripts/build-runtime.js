#!/usr/bin/env node
'use strict';
/**
 * Builds the ONNX Runtime we ship, from the npm registry's onnxruntime-node and onnxruntime-web tarballs
 * (fetched with `npm pack`, checked against runtime/onnxruntime.json's integrity):
 *
 *   build/runtime/packages/onnxruntime-<os>-<cpu>/  one package per native platform: onnxruntime-node's
 *       JavaScript and that platform's binaries, with os/cpu/libc fields so npm installs only the one that
 *       runs, and no install script (onnxruntime-node's fetches CUDA libraries from NuGet on linux-x64,
 *       which fails offline). Published as @lightexnet/onnxruntime-<os>-<cpu>, optional dependencies of ours.
 *       Each also carries, in jpeg-turbo/, libjpeg-turbo's decoder for that platform from @julusian/jpeg-turbo's
 *       prebuilds (its install script would compile, downloading Node's headers, where no prebuild fits; a
 *       JPEG decoded there takes 0.6 ms against sharp's 2.3-2.9: src/core/image/turbo-jpeg.ts).
 *   vendor/onnxruntime-web/  the three files of onnxruntime-web's Node WASM build (of its 142 MB), shipped
 *       inside our package for platforms without a native build (musl, 32-bit ARM).
 *
 * In this repository it also links this machine's native package into node_modules (until the packages
 * are on the registry, npm skips them as optional dependencies it cannot find).
 *
 *   node scripts/build-runtime.js          build (skipped when up to date) and link
 *   node scripts/build-runtime.js --pack   also write build/runtime/tarballs/*.tgz (to publish, and for the
 *                                          install test's local registry)
 */
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const MANIFEST_FILE = path.join(ROOT, 'runtime', 'onnxruntime.json');
const MANIFEST = JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8'));
const OUT = path.join(ROOT, 'build', 'runtime');
const PACKAGES = path.join(OUT, 'packages');
const TARBALLS = path.join(OUT, 'tarballs');
const VENDOR = path.join(ROOT, 'vendor', 'onnxruntime-web');
const SCOPE = '@lightexnet';

const MIT_LICENSE = `MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`;

/** The npm package name of a native build: what src/core/runtime/onnx-backend.ts requires. */
const nativeName = ({ os, cpu }) => `${SCOPE}/onnxruntime-${os}-${cpu}`;

/** npm pack's tarball of `name@version`, from npm's cache or the registry, checked against the manifest. */
function fetchSource(name, dir, version = MANIFEST.version, expected = MANIFEST.sources[name]) {
  const spec = `${name}@${version}`;
  const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', dir, '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(out);
  const file = path.join(dir, info.filename);
  const integrity = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
  if (integrity !== expected) {
    throw new Error(`${spec}: integrity ${integrity} is not runtime/onnxruntime.json's ${expected}`);
  }
  const extracted = path.join(dir, name.replace('/', '+'));
  fs.rmSync(extracted, { recursive: true, force: true });
  fs.mkdirSync(extracted);
  execFileSync('tar', ['-xzf', file, '-C', extracted, '--strip-components=1']);
  return extracted;
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

/** The JPEG decoder's binaries for this platform, in <package>/jpeg-turbo/ (undefined where it has none). */
function addJpegDecoder(jpegTurbo, platform, dir) {
  const { os, cpu, libc } = platform;
  const prebuilt = path.join(jpegTurbo, 'prebuilds', `jpeg-turbo-${os}-${cpu}${libc === 'musl' ? '-musl' : ''}`);
  if (!fs.existsSync(path.join(prebuilt, 'node-napi-v7.node'))) return undefined;
  // On Linux the binding finds libturbojpeg.so.0 beside it (its RUNPATH is $ORIGIN): keep them together.
  for (const f of fs.readdirSync(prebuilt)) copy(path.join(prebuilt, f), path.join(dir, 'jpeg-turbo', f));
  copy(path.join(jpegTurbo, 'LICENSE'), path.join(dir, 'jpeg-turbo', 'LICENSE'));
  return `${MANIFEST.jpegDecoder.package} ${MANIFEST.jpegDecoder.version}`;
}

function buildNative(ortNode, jpegTurbo, platform) {
  const { os, cpu, libc } = platform;
  const dir = path.join(PACKAGES, `onnxruntime-${os}-${cpu}`);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of fs.readdirSync(path.join(ortNode, 'dist'))) {
    if (f.endsWith('.js') || f.endsWith('.d.ts')) copy(path.join(ortNode, 'dist', f), path.join(dir, 'dist', f));
  }
  // dist/binding.js loads ../bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node: keep that layout.
  const bin = path.join('bin', 'napi-v6', os, cpu);
  const files = fs.readdirSync(path.join(ortNode, bin));
  if (!files.includes('onnxruntime_binding.node')) throw new Error(`onnxruntime-node has no binding for ${os}-${cpu}`);
  for (const f of files) copy(path.join(ortNode, bin, f), path.join(dir, bin, f));
  const decoder = addJpegDecoder(jpegTurbo, platform, dir);
  const pkg = {
    name: nativeName(platform),
    version: MANIFEST.version,
    description: `ONNX Runtime ${MANIFEST.version} for Node.js on ${os}-${cpu}${libc ? ` (${libc})` : ''}, CPU only: onnxruntime-node's build for this platform, without its install script${decoder ? `; and libjpeg-turbo's JPEG decoder (${decoder}'s prebuilt binding)` : ''}.`,
    license: decoder ? 'MIT AND Apache-2.0 AND BSD-3-Clause AND IJG' : 'MIT',
    repository: { type: 'git', url: 'git+https://github.com/microsoft/onnxruntime.git', directory: 'js/node' },
    os: [os],
    cpu: [cpu],
    ...(libc ? { libc: [libc] } : {}),
    main: 'dist/index.js',
    types: 'dist/index.d.ts',
    dependencies: { 'onnxruntime-common': MANIFEST.version },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'LICENSE'), MIT_LICENSE);
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    `# ${pkg.name}\n\n${pkg.description}\n\nThe native runtime of [@lightexnet/node-red](https://www.npmjs.com/package/@lightexnet/node-red), which lists it as an optional dependency: npm installs the one package whose \`os\`/\`cpu\`${libc ? '/`libc`' : ''} match the machine. Files are onnxruntime-node ${MANIFEST.version}'s \`dist/*.js\` and \`bin/napi-v6/${os}/${cpu}/\`, unchanged (MIT, Microsoft Corporation; ONNX Runtime's third-party notices: https://github.com/microsoft/onnxruntime/blob/main/ThirdPartyNotices.txt).${decoder ? ` \`jpeg-turbo/\` holds ${decoder}'s \`prebuilds/\` for this platform, unchanged (the binding: Apache-2.0, \`jpeg-turbo/LICENSE\`; libjpeg-turbo: BSD-3-Clause and IJG, https://github.com/libjpeg-turbo/libjpeg-turbo/blob/main/LICENSE.md).` : ''}\n`,
  );
  return dir;
}

function buildWasm(ortWeb) {
  fs.rmSync(VENDOR, { recursive: true, force: true });
  for (const f of MANIFEST.wasmFiles) copy(path.join(ortWeb, 'dist', f), path.join(VENDOR, f));
  fs.writeFileSync(path.join(VENDOR, 'LICENSE'), MIT_LICENSE);
  fs.writeFileSync(
    path.join(VENDOR, 'README.md'),
    `onnxruntime-web ${MANIFEST.version}'s Node build (\`dist/${MANIFEST.wasmFiles.join('`, `dist/')}\`), unchanged: the WASM fallback where no native build runs. MIT, Microsoft Corporation. Built by scripts/build-runtime.js.\n`,
  );
}

/** This repository's node_modules gets this machine's native package, as npm would install it once published. */
function linkForDevelopment() {
  const platform = MANIFEST.native.find((p) => p.os === process.platform && p.cpu === process.arch);
  if (!platform) return;
  const link = path.join(ROOT, 'node_modules', nativeName(platform));
  const target = path.join(PACKAGES, `onnxruntime-${platform.os}-${platform.cpu}`);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(path.relative(path.dirname(link), target), link, 'junction');
}

function main() {
  const stampFile = path.join(OUT, 'stamp');
  const stamp = crypto.createHash('sha256').update(fs.readFileSync(MANIFEST_FILE)).update(fs.readFileSync(__filename)).digest('hex');
  const upToDate =
    fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp && fs.existsSync(path.join(VENDOR, 'ort.node.min.js'));
  if (!upToDate) {
    const sources = path.join(OUT, 'sources');
    fs.mkdirSync(sources, { recursive: true });
    const ortNode = fetchSource('onnxruntime-node', sources);
    const ortWeb = fetchSource('onnxruntime-web', sources);
    const { package: decoderName, version: decoderVersion, integrity } = MANIFEST.jpegDecoder;
    const jpegTurbo = fetchSource(decoderName, sources, decoderVersion, integrity);
    fs.rmSync(PACKAGES, { recursive: true, force: true });
    for (const platform of MANIFEST.native) buildNative(ortNode, jpegTurbo, platform);
    buildWasm(ortWeb);
    fs.rmSync(sources, { recursive: true, force: true });
    fs.writeFileSync(stampFile, stamp);
  }
  linkForDevelopment();
  if (process.argv.includes('--pack')) {
    fs.mkdirSync(TARBALLS, { recursive: true });
    for (const p of MANIFEST.native) {
      const dir = path.join(PACKAGES, `onnxruntime-${p.os}-${p.cpu}`);
      execFileSync('npm', ['pack', '--pack-destination', TARBALLS, '--loglevel=error'], { cwd: dir, stdio: 'ignore' });
    }
  }
}

main();
