#!/usr/bin/env node
'use strict';
/**
 * Packs what gets published: build/release/*.tgz, one tarball per native runtime package and one of
 * @lightexnet/node-red whose package.json lists them as optionalDependencies (sharp's pattern: npm installs
 * the one whose os/cpu/libc match the machine).
 *
 * Why the optional dependencies are added here and not in the repository's package.json: until those
 * packages are on the registry, a lock file cannot record them, and `npm ci` (CI, a fresh checkout) refuses
 * a package.json that names dependencies its lock file lacks. So the repository installs without them (the
 * build links this machine's runtime package into node_modules) and the release manifest names them.
 *
 *   node scripts/pack-release.js     -> build/release/lightexnet-node-red-<version>.tgz and the runtime tarballs
 *   npm publish build/release/lightexnet-onnxruntime-*.tgz, then the node-red one (runtime packages first)
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, 'runtime', 'onnxruntime.json'), 'utf8'));
const RELEASE = path.join(ROOT, 'build', 'release');
const RUNTIME_TARBALLS = path.join(ROOT, 'build', 'runtime', 'tarballs');
const STAGE = path.join(ROOT, 'build', 'release-stage');

const npmJson = (args, cwd) => JSON.parse(execFileSync('npm', [...args, '--json', '--loglevel=error'], { cwd, encoding: 'utf8' }));

/** The release manifest: the repository's package.json plus one optional dependency per native build. */
function releaseManifest() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const optional = {};
  for (const { os, cpu } of MANIFEST.native) optional[`@lightexnet/onnxruntime-${os}-${cpu}`] = MANIFEST.version;
  pkg.optionalDependencies = { ...pkg.optionalDependencies, ...optional };
  // The staged copy is already built: building again there would have no sources to build from.
  delete pkg.scripts;
  return pkg;
}

function main() {
  execFileSync(process.execPath, [path.join(__dirname, 'build-runtime.js'), '--pack'], { stdio: 'inherit' });
  fs.rmSync(RELEASE, { recursive: true, force: true });
  fs.mkdirSync(RELEASE, { recursive: true });
  for (const f of fs.readdirSync(RUNTIME_TARBALLS)) fs.copyFileSync(path.join(RUNTIME_TARBALLS, f), path.join(RELEASE, f));

  // Stage exactly the files `npm pack` would take from the repository (its "files" rules), then pack that.
  const [{ files }] = npmJson(['pack', '--dry-run', '--ignore-scripts'], ROOT);
  fs.rmSync(STAGE, { recursive: true, force: true });
  for (const { path: f } of files) {
    if (f === 'package.json') continue;
    fs.mkdirSync(path.dirname(path.join(STAGE, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(STAGE, f));
  }
  fs.writeFileSync(path.join(STAGE, 'package.json'), JSON.stringify(releaseManifest(), null, 2) + '\n');
  const [packed] = npmJson(['pack', '--ignore-scripts', '--pack-destination', RELEASE], STAGE);
  fs.rmSync(STAGE, { recursive: true, force: true });
  process.stdout.write(
    `${fs
      .readdirSync(RELEASE)
      .map((f) => path.join('build', 'release', f))
      .join('\n')}\n`,
  );
  return packed;
}

main();
