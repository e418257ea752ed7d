'use strict';
/**
 * Inference in worker threads (src/core/inference-pool.ts): the same answers as in the calling thread,
 * frames in flight spread over the workers, errors and a dying worker reported, workers gone after release.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { FaceDetector, ExpressionClassifier, decodeImage } = require('../../dist/core');
const { framesInFlight, sharedPool } = require('../../dist/core/runtime/inference-pool');
const { FIXTURES } = require('../support/paths');
const { withWorkers } = require('../support/workers');
const { execFileSync } = require('node:child_process');
const { ROOT } = require('../support/paths');

async function classifyAll(img) {
  const detector = await FaceDetector.create({ model: 'full' });
  const classifier = await ExpressionClassifier.create({ views: 6 });
  try {
    return await classifier.classifyFaces(img, await detector.detect(img));
  } finally {
    await Promise.all([detector.release(), classifier.release()]);
  }
}

describe('inference pool (worker threads)', () => {
  let img;
  before(async () => {
    img = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg')));
  });

  it('gives exactly the answers the calling thread gives', async () => {
    const inThread = await withWorkers(0, () => classifyAll(img));
    const pooled = await withWorkers(2, () => classifyAll(img));
    assert.equal(inThread.length, 1);
    assert.deepEqual(pooled, inThread);
  });

  it("the workers read the classifier's file themselves: the main thread neither reads nor hashes it", async () => {
    const fsp = require('node:fs/promises');
    const crypto = require('node:crypto');
    const read = fsp.readFile;
    const hash = crypto.createHash;
    const seen = [];
    fsp.readFile = (file, ...rest) => {
      seen.push(String(file));
      return read.call(fsp, file, ...rest);
    };
    let hashes = 0;
    crypto.createHash = (...args) => {
      hashes++;
      return hash.apply(crypto, args);
    };
    try {
      await withWorkers(2, async () => {
        const classifier = await ExpressionClassifier.create({ views: 1 });
        await sharedPool(2).settled();
        const [r] = await classifier.classifyFaces(img, [{ box: { x: 240, y: 120, width: 160, height: 160 } }]);
        assert.ok(r.expression, 'it classifies');
        await classifier.release();
      });
    } finally {
      fsp.readFile = read;
      crypto.createHash = hash;
    }
    assert.deepEqual(
      seen.filter((f) => f.endsWith('.onnx')),
      [],
      'no .onnx read in the main thread',
    );
    assert.equal(hashes, 0, 'no sha256 in the main thread');
  });

  it('keeps two frames beyond the workers in flight, and one at a time in the calling thread', async () => {
    assert.equal(await withWorkers(2, async () => framesInFlight()), 4);
    assert.equal(await withWorkers(1, async () => framesInFlight()), 3);
    assert.equal(await withWorkers(0, async () => framesInFlight()), 1);
  });

  it('runs on two workers when two frames are in flight, and ends the workers at release', async () => {
    await withWorkers(2, async () => {
      const detector = await FaceDetector.create({ model: 'short' });
      const pool = sharedPool(2);
      await pool.settled(); // the second worker opens its copy after the first is ready
      const before = pool.stats();
      assert.equal(before.length, 2, 'two workers while a session is held');
      assert.ok(
        before.every((w) => w.threadId > 0),
        'they are threads other than the main one (0)',
      );
      const [a, b] = await Promise.all([detector.detect(img), detector.detect(img)]);
      assert.deepEqual(a, b);
      const after = pool.stats();
      assert.deepEqual(
        after.map((w, i) => w.runs - before[i].runs),
        [1, 1],
        'one run on each worker',
      );
      await detector.release();
      assert.deepEqual(pool.stats(), [], 'no worker left once nothing holds a session');
    });
  });

  it('fails the runs of a worker that dies with a clear error, and carries on in a replacement', async () => {
    await withWorkers(1, async () => {
      const detector = await FaceDetector.create({ model: 'short' });
      const pool = sharedPool(1);
      try {
        const expected = await detector.detect(img);
        pool.crashOne(); // the worker ends before it reads the next request
        await assert.rejects(detector.detect(img), /inference worker stopped \(exit code 1\)/);
        assert.deepEqual(await detector.detect(img), expected, 'a new worker reopened the session');
      } finally {
        await detector.release();
      }
    });
  });

  it('opens the sessions in a worker that replaces one that died, so both cores serve frames again', async () => {
    await withWorkers(2, async () => {
      const detector = await FaceDetector.create({ model: 'short' });
      const pool = sharedPool(2);
      try {
        const expected = await detector.detect(img);
        await pool.settled();
        assert.equal(pool.stats().length, 2);
        pool.crashOne();
        await new Promise((resolve) => setTimeout(resolve, 200)); // the crashed thread's exit is seen
        assert.deepEqual(await detector.detect(img), expected, 'the other worker answers');
        await pool.settled(); // the replacement has opened the session
        const before = pool.stats();
        assert.equal(before.length, 2, 'a replacement started');
        const [a, b] = await Promise.all([detector.detect(img), detector.detect(img)]);
        assert.deepEqual([a, b], [expected, expected]);
        assert.deepEqual(
          pool.stats().map((w, i) => w.runs - (before[i]?.runs ?? 0)),
          [1, 1],
          'two frames at once: one in each worker, the replacement included',
        );
      } finally {
        await detector.release();
      }
    });
  });

  it("passes the runtime's own error back for a bad input", async () => {
    await withWorkers(1, async () => {
      const classifier = await ExpressionClassifier.create({ views: 1 });
      try {
        // A flat vector where the graph takes N x C x H x W: onnxruntime refuses the rank.
        const bad = classifier.shared.session.run({ input: { data: new Float32Array(48 * 48), dims: [48 * 48] } });
        await assert.rejects(
          bad,
          (err) => err instanceof Error && /input|dimension|shape/i.test(err.message) && !/worker stopped/.test(err.message),
        );
        assert.equal((await classifier.classifyCrops([new Uint8Array(48 * 48)])).length, 1, 'the session still works');
      } finally {
        await classifier.release();
      }
    });
  });

  it('releasing models while other workers still open them ends cleanly (in a child: an abort would end it)', () => {
    // worker.terminate() under a native session call aborts the whole process; the pool must wait instead.
    const script = `
      const core = require(${JSON.stringify(path.join(ROOT, 'dist', 'core'))});
      const img = { data: Buffer.alloc(320 * 240 * 3, 128), width: 320, height: 240 };
      (async () => {
        for (let i = 0; i < 8; i++) {
          const [d, c] = await Promise.all([core.FaceDetector.create(), core.ExpressionClassifier.create()]);
          await d.detect(img);
          await Promise.all([d.release(), c.release()]);
        }
        console.log('ok');
      })();`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LIGHTEXNET_WORKERS: '2' } });
    assert.match(out, /^ok$/m);
  });

  it('the calling thread loads the native runtime while the first worker starts, only once it passed its check', () => {
    // In a child: this process has the runtime loaded already. Which runtime modules its main thread holds once a
    // detector has opened in a worker: the native binding when the runtime may load, none when WASM was asked for.
    const script = `
      const core = require(${JSON.stringify(path.join(ROOT, 'dist', 'core'))});
      (async () => {
        const d = await core.FaceDetector.create({ model: 'short' });
        await new Promise((resolve) => setTimeout(resolve, 300)); // its start-up work done
        const loaded = Object.keys(require.cache).filter((f) => /onnxruntime/.test(f) && /binding/.test(f));
        console.log(JSON.stringify({ backend: d.backend, nativeBindingHere: loaded.length > 0 }));
        await d.release();
      })();`;
    const run = (env) =>
      JSON.parse(
        execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, LIGHTEXNET_WORKERS: '1', ...env } }),
      );
    assert.deepEqual(run({}), { backend: 'native', nativeBindingHere: true });
    assert.deepEqual(run({ LIGHTEXNET_BACKEND: 'wasm' }), { backend: 'wasm', nativeBindingHere: false });
  });
});
