'use strict';
/** Runs the PyTorch-side unit tests (training/test_lightexnet.py): model budget, export, loss. */
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { ROOT } = require('../support/paths');

const PYTHON = '/usr/bin/python3'; // Debian's Python, which sees python3-torch (another python3 may not)

describe('LightExNet model definition (PyTorch unit tests)', function () {
  this.timeout(600000);
  it('passes training/test_lightexnet.py', function () {
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.log("      (skipped: Debian's python3-torch is not installed; .ci/run installs it)");
      return this.skip();
    }
    const r = spawnSync(PYTHON, ['-m', 'unittest', '-v', 'test_lightexnet'], {
      cwd: path.join(ROOT, 'training'),
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Ran \d+ tests/);
  });
});
