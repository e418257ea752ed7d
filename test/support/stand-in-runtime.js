'use strict';
/**
 * Stand-ins for this platform's native ONNX Runtime package that misbehave when required (segfault, spin,
 * throw), and this package laid out as npm installs it but with such a stand-in as its runtime: for the tests of
 * native-runtime-check.ts, where the real runtime must crash without crashing the test.
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./paths');
const { nativePackageName } = require('../../dist/core/runtime/onnx-backend');

const NAME = nativePackageName();
const SEGFAULT = "process.kill(process.pid, 'SIGSEGV');";

/** Under `root/label`, a node_modules holding a stand-in runtime package that runs `body` when required. */
function standIn(root, label, body, version = '0.0.0-test') {
  const from = path.join(root, label);
  const pkg = path.join(from, 'node_modules', ...NAME.split('/'));
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: NAME, version, main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), body);
  return from;
}

/**
 * `dir`/node_modules/@lightexnet/node-red: this package (built code copied, data linked) with its own
 * node_modules linking every dependency but a stand-in runtime that runs `body` when required (by default it
 * segfaults). Returns the package's folder.
 */
function packageWithCrashingRuntime(dir, body = SEGFAULT) {
  const pkg = path.join(dir, 'node_modules', '@lightexnet', 'node-red');
  fs.mkdirSync(pkg, { recursive: true });
  // Copied, not linked: Node resolves a module from its real path, which would find the real runtime.
  for (const d of ['dist', 'bin', 'nodes']) fs.cpSync(path.join(ROOT, d), path.join(pkg, d), { recursive: true });
  for (const d of ['models', 'vendor', 'resources', 'examples', 'package.json']) fs.symlinkSync(path.join(ROOT, d), path.join(pkg, d));
  const deps = path.join(pkg, 'node_modules');
  fs.mkdirSync(deps);
  for (const d of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (d !== '@lightexnet' && !d.startsWith('.')) fs.symlinkSync(path.join(ROOT, 'node_modules', d), path.join(deps, d));
  }
  standIn(pkg, '.', body);
  return pkg;
}

module.exports = { NAME, SEGFAULT, standIn, packageWithCrashingRuntime };
