'use strict';
/**
 * `npm install` as Node-RED's palette manager runs it (@node-red/registry's installer: no --ignore-scripts),
 * inside a network namespace that has only loopback: whatever npm or an install script tries to fetch from
 * the internet fails the install. Packages come from npm's cache, and the @lightexnet scope from a local
 * registry of tarballs built here (test/support/local-registry.js) that runs inside the namespace.
 *
 * The npm is the one that Node-RED's installer runs: in Node-RED 4.1.10–4.1.11, 4.1.13 on and 5,
 * @node-red/registry depends on npm and runs its own copy with the Node that runs Node-RED (Node-RED 4.1.15:
 * npm 10.9.9; 5.0.7: npm 11.19.1), not the npm on PATH. `red` (the red.js the install is for) and `node` choose
 * that copy; without them, or for a Node-RED whose registry has no npm of its own, the npm on PATH runs.
 *
 * As a module: paletteInstall(userDir, spec, { scopeTarballs, npmArgs, offline, red, node }) ->
 * { code, output, requests, npm } (offline: false runs the same install with the network, e.g. to fill npm's
 * cache first; npm: the version that ran).
 * As a script (what the namespace runs): node palette-install.js <json args>.
 */
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const { startLocalRegistry } = require('./local-registry');

/** The palette manager's arguments (Node-RED 4.1 and 5: @node-red/registry/lib/installer.js). */
const PALETTE_ARGS = [
  'install',
  '--no-audit',
  '--no-update-notifier',
  '--no-fund',
  '--save',
  '--save-prefix=~',
  '--omit=dev',
  '--engine-strict',
];

/** The npm command Node-RED's palette manager runs for the Node-RED at `red`: [program, ...leading args]. */
function paletteNpm(red, node = process.execPath) {
  if (red) {
    try {
      const registry = require.resolve('@node-red/registry/package.json', { paths: [path.dirname(red)] });
      // As the installer finds it (npm's exports hide bin/npm-cli.js from require.resolve).
      const npm = require.resolve('npm/package.json', { paths: [path.dirname(registry)] });
      return [node, path.join(path.dirname(npm), 'bin', 'npm-cli.js')];
    } catch {
      // A Node-RED whose registry brings no npm (4.1.9 and earlier, 4.1.12) runs the npm on PATH.
    }
  }
  return ['npm'];
}

function paletteInstall(userDir, spec, { scopeTarballs = [], npmArgs = [], offline = true, red, node } = {}) {
  const args = JSON.stringify({ userDir, spec, scopeTarballs, npmArgs, npm: paletteNpm(red, node) });
  // -r: a user namespace too, so this works without root where unprivileged namespaces are allowed.
  const [cmd, argv] = offline
    ? ['unshare', ['-rn', 'sh', '-c', 'ip link set lo up && exec "$0" "$1" "$2"', process.execPath, __filename, args]]
    : [process.execPath, [__filename, args]];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const last = r.stdout.trim().split('\n').pop();
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`the offline install did not run (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

async function main() {
  const {
    userDir,
    spec,
    scopeTarballs,
    npmArgs,
    npm: [program, ...lead],
  } = JSON.parse(process.argv[2]);
  const version = spawnSync(program, [...lead, '--version'], { encoding: 'utf8' }).stdout.trim();
  const registry = await startLocalRegistry(scopeTarballs);
  // The installer's order: install, its arguments, then `--` and the package.
  const npm = spawn(program, [...lead, ...PALETTE_ARGS, `--@lightexnet:registry=${registry.url}`, ...npmArgs, '--', spec], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const code = await new Promise((resolve) => npm.on('close', resolve));
  await registry.close();
  process.stdout.write('\n' + JSON.stringify({ code, output, requests: registry.requests, npm: version }) + '\n');
}

if (require.main === module) {
  main().catch((err) => {
    process.stdout.write('\n' + JSON.stringify({ code: -1, output: String(err.stack), requests: [] }) + '\n');
  });
}

module.exports = { paletteInstall, paletteNpm, PALETTE_ARGS };
