'use strict';
/**
 * A real Node-RED runtime in its own process, with this package installed in its user directory (a link to the
 * working tree, as `npm install` of a local folder makes) and the given flow: for tests that need what only a
 * process shows (how it exits, several runtimes sharing a broker).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./paths');
const { freePort } = require('./mosquitto');

/**
 * flows: the flows.json array; env: the process's environment; logLevel: Node-RED's console level; packageDir:
 * the package installed (default: the working tree). Resolves
 * with { proc, port, log(), exited (a promise of { status, signal }), stop(signal), cleanup() } once spawned.
 */
async function startNodeRedProcess({ name, flows, env = process.env, logLevel = 'warn', packageDir = ROOT }) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `nr-${name}-`));
  const modules = path.join(userDir, 'node_modules', '@lightexnet');
  fs.mkdirSync(modules, { recursive: true });
  fs.symlinkSync(packageDir, path.join(modules, 'node-red'));
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'nr', version: '0.0.1', private: true, dependencies: { '@lightexnet/node-red': '*' } }),
  );
  const port = await freePort();
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, flowFile: 'flows.json', credentialSecret: false, logging: { console: { level: '${logLevel}' } }, editorTheme: { tours: false } };\n`,
  );
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  let log = '';
  const proc = spawn(
    process.execPath,
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('close', (status, signal) => r({ status, signal })));
  const cleanup = () => fs.rmSync(userDir, { recursive: true, force: true });
  return {
    name,
    proc,
    port,
    log: () => log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        await exited;
      }
      cleanup();
    },
    cleanup,
  };
}

module.exports = { startNodeRedProcess };
