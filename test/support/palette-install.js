'use strict';
/**
 * `npm install` as Node-RED's palette manager runs it (@node-red/registry's installer: no --ignore-scripts),
 * inside a network namespace that has only loopback: whatever npm or an install script tries to fetch from
 * the internet fails the install. Packages come from npm's cache, and the @lightexnet scope from a local
 * registry of tarballs built here (test/support/local-registry.js) that runs inside the namespace.
 *
 * As a module: paletteInstall(userDir, spec, { scopeTarballs, npmArgs, offline }) -> { code, output, requests }
 * (offline: false runs the same install with the network, e.g. to fill npm's cache first).
 * As a script (what the namespace runs): node palette-install.js <json args>.
 */
const { spawn, spawnSync } = require('node:child_process');
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

function paletteInstall(userDir, spec, { scopeTarballs = [], npmArgs = [], offline = true } = {}) {
  const args = JSON.stringify({ userDir, spec, scopeTarballs, npmArgs });
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
  const { userDir, spec, scopeTarballs, npmArgs } = JSON.parse(process.argv[2]);
  const registry = await startLocalRegistry(scopeTarballs);
  const npm = spawn('npm', [...PALETTE_ARGS, `--@lightexnet:registry=${registry.url}`, ...npmArgs, spec], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const code = await new Promise((resolve) => npm.on('close', resolve));
  await registry.close();
  process.stdout.write('\n' + JSON.stringify({ code, output, requests: registry.requests }) + '\n');
}

if (require.main === module) {
  main().catch((err) => {
    process.stdout.write('\n' + JSON.stringify({ code: -1, output: String(err.stack), requests: [] }) + '\n');
  });
}

module.exports = { paletteInstall, PALETTE_ARGS };
