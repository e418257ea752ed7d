'use strict';
/**
 * A process that exits while inference workers are inside onnxruntime (src/core/runtime/exit-gate.ts) ends
 * with its own exit code. Without the gate onnxruntime-node aborts it (SIGABRT, "terminate called after
 * throwing an instance of 'Napi::Error'"): 9 of 10 such exits during a stream of frames, about half during the
 * models' first open, on a 2-core machine. Each case runs six processes at once, so a gate that does not hold fails.
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { ROOT, FIXTURES } = require('../support/paths');

const CORE = path.join(ROOT, 'dist', 'core');
const FRAME = path.join(FIXTURES, 'astronaut-640x480.jpg');

/** Runs `body` (after `core`, `frame` are set) in a fresh process with two inference workers. */
function child(body) {
  const script = `
    const core = require(${JSON.stringify(CORE)});
    const frame = require('node:fs').readFileSync(${JSON.stringify(FRAME)});
    (async () => { ${body} })().catch((e) => { console.error(e); process.exit(9); });`;
  const proc = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, LIGHTEXNET_WORKERS: '2' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => proc.once('close', (status, signal) => resolve({ status, signal, stderr })));
}

/** Several processes at once (each case's timings differ), all of which must end with `code`. */
async function assertAllExitWith(bodies, code) {
  for (const r of await Promise.all(bodies.map(child))) {
    assert.doesNotMatch(r.stderr, /terminate called|Napi::Error/, r.stderr);
    assert.equal(r.signal, null, `ended by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, code, r.stderr);
  }
}

describe('process exit while inference workers are busy', () => {
  it('exits with its code while frames are in flight in the workers', async () => {
    const delays = [100, 140, 180, 220, 260, 300];
    await assertAllExitWith(
      delays.map(
        (ms) => `
          const d = await core.FaceDetector.create();
          const c = await core.ExpressionClassifier.create();
          for (let k = 0; k < 10; k++) await core.classifyFrame(d, c, frame);
          await new Promise((r) => setTimeout(r, 1500)); // every worker has its copy of both models
          const stream = async () => { for (;;) await core.classifyFrame(d, c, frame); };
          stream(); stream(); stream();
          setTimeout(() => process.exit(3), ${ms});`,
      ),
      3,
    );
  });

  it('exits with its code while the workers open the models', async () => {
    const delays = [60, 100, 140, 180, 220, 260];
    await assertAllExitWith(
      delays.map(
        (ms) => `
          core.FaceDetector.create().catch(() => undefined);
          core.ExpressionClassifier.create().catch(() => undefined);
          setTimeout(() => process.exit(4), ${ms});`,
      ),
      4,
    );
  });
});
