'use strict';
/**
 * A frame's detection and classification in one inference worker (src/core/frame-task.ts, posted by
 * pipeline.ts): the answers the calling thread gives, one trip to a worker per frame, bad input an
 * ImageInputError, a worker that dies reported and replaced.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { FaceDetector, ExpressionClassifier, classifyFrame, detectFrame, decodeImage, ImageInputError } = require('../../dist/core');
const { pooledSession, sharedPool, startAsIfFirst } = require('../../dist/core/runtime/inference-pool');
const { FIXTURES } = require('../support/paths');
const { withWorkers } = require('../support/workers');

const FRAME = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));
const MODELS = path.join(__dirname, '..', '..', 'models');

/** A 640x480 frame with three ~70 px faces (the fixture at a third of its size, three times). */
async function threeFaces() {
  const sharp = require('sharp');
  const small = await sharp(FRAME).resize(213, 160).toBuffer();
  return sharp({ create: { width: 640, height: 480, channels: 3, background: '#7a7a7a' } })
    .composite([0, 1, 2].map((i) => ({ input: small, left: i * 213, top: 40 + i * 120 })))
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Every frame's result (or error message) with the models made under LIGHTEXNET_WORKERS=n. */
async function answers(n, inputs, run = classifyFrame) {
  return withWorkers(n, async () => {
    const detector = await FaceDetector.create({ model: 'full' });
    const classifier = await ExpressionClassifier.create();
    try {
      const out = [];
      for (const input of inputs) {
        try {
          const r = await run(detector, classifier, input);
          out.push({ faces: r.faces, width: r.width, height: r.height });
        } catch (err) {
          out.push({ error: err.message, imageInputError: err instanceof ImageInputError });
        }
      }
      return out;
    } finally {
      await Promise.all([detector.release(), classifier.release()]);
    }
  });
}

describe('a frame detected and classified in one worker', function () {
  it('gives exactly the answers of the calling thread, frame by frame', async () => {
    const inputs = [
      FRAME,
      await threeFaces(),
      await require('sharp')({ create: { width: 640, height: 480, channels: 3, background: '#7a7a7a' } })
        .jpeg()
        .toBuffer(),
    ];
    const here = await answers(0, inputs);
    const pooled = await answers(2, inputs);
    assert.deepEqual(
      here.map((r) => r.faces.length),
      [1, 3, 0],
    );
    assert.ok(
      here[1].faces.every((f) => f.expression && f.probabilities),
      'each face classified',
    );
    assert.deepEqual(pooled, here);
  });

  it('detectFrame too: the same boxes as the calling thread', async () => {
    const frame = FRAME;
    const run = (d, _c, input) => detectFrame(d, input);
    const here = await answers(0, [frame], run);
    const pooled = await answers(1, [frame], run);
    assert.equal(here[0].faces.length, 1);
    assert.deepEqual(pooled, here);
  });

  it('takes one trip to a worker per frame (detection and classification there), not one per model', async () => {
    await withWorkers(2, async () => {
      const detector = await FaceDetector.create({ model: 'full' });
      const classifier = await ExpressionClassifier.create();
      const pool = sharedPool(2);
      try {
        await pool.settled();
        const frame = FRAME;
        const runs = () => pool.stats().reduce((s, w) => s + w.runs, 0);
        const before = runs();
        for (let i = 0; i < 4; i++) assert.equal((await classifyFrame(detector, classifier, frame)).faces.length, 1);
        assert.equal(runs() - before, 4, 'one task a frame, not one run per model');
        // Raw pixels too (decoded here, like a JPEG: the worker gets pixels either way).
        const raw = await decodeImage(FRAME);
        const mark = runs();
        const r = await classifyFrame(detector, classifier, { data: raw.data, width: raw.width, height: raw.height, channels: 3 });
        assert.equal(runs() - mark, 1);
        assert.equal(r.faces.length, 1);
      } finally {
        await Promise.all([detector.release(), classifier.release()]);
      }
    });
  });

  it("goes on in this thread at a process's first start: both models open here, no worker until the first frame is answered, then the pool grows and takes them", async () => {
    const [expected] = await answers(0, [FRAME]); // also puts both models in the optimised-model cache
    startAsIfFirst(); // as at a process's start (a redeploy's restart opens every model in a worker)
    await withWorkers(2, async () => {
      const [detector, classifier] = await Promise.all([FaceDetector.create({ model: 'full' }), ExpressionClassifier.create()]);
      const pool = sharedPool(2);
      try {
        const ids = [pooledSession(detector.task.session).id, pooledSession(classifier.task.session).id];
        assert.deepEqual(pool.stats(), [], 'no worker while the models open and until the first frame');
        assert.deepEqual([...pool.heldHere()].sort(), [...ids].sort(), 'both models opened here');
        assert.equal(pool.startingUp, true);
        const first = await classifyFrame(detector, classifier, FRAME);
        assert.deepEqual({ faces: first.faces, width: first.width, height: first.height }, expected, 'the same answer as in-thread');
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(pool.startingUp, false, 'the start ends once both models have answered');
        assert.equal(pool.stats().length, 2, 'the pool grows to its size then');
        // Frames while the workers open the models still run here (no frame waits for a worker's open).
        const meanwhile = await classifyFrame(detector, classifier, FRAME);
        assert.deepEqual({ faces: meanwhile.faces, width: meanwhile.width, height: meanwhile.height }, expected);
        await pool.settled();
        assert.deepEqual(pool.heldHere(), [], "this thread's copies released once a worker has the models");
        assert.equal(pool.holdsTogether(ids), true);
        const before = pool.stats().map((w) => w.runs);
        const [a, b] = await Promise.all([classifyFrame(detector, classifier, FRAME), classifyFrame(detector, classifier, FRAME)]);
        assert.deepEqual(
          pool.stats().map((w, i) => w.runs - before[i]),
          [1, 1],
          'then one task a frame; two frames at once: one in each worker (both opened both models)',
        );
        for (const r of [a, b]) assert.deepEqual({ faces: r.faces, width: r.width, height: r.height }, expected);
      } finally {
        await Promise.all([detector.release(), classifier.release()]);
      }
      assert.deepEqual(pool.stats(), [], 'the workers end with the last session');
      assert.deepEqual(pool.heldHere(), []);
    });
  });

  it('starts a worker for a model the cache does not have as it stands, and keeps the other here until the start is over', async () => {
    const [expected] = await answers(0, [FRAME]);
    // The detector's files copied: the same model (its cached form's key) at another path, so not "as it
    // stands" (a changed file is checked again, in a worker, never in this thread).
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'lightexnet-models-'));
    for (const f of ['blazeface.json', 'blazeface-full.onnx']) fs.copyFileSync(path.join(MODELS, f), path.join(dir, f));
    startAsIfFirst();
    try {
      await withWorkers(2, async () => {
        const [detector, classifier] = await Promise.all([
          FaceDetector.create({ model: 'full', modelDir: dir }),
          ExpressionClassifier.create(),
        ]);
        const pool = sharedPool(2);
        try {
          const ids = [pooledSession(detector.task.session).id, pooledSession(classifier.task.session).id];
          assert.deepEqual(pool.heldHere(), [ids[1]], 'the classifier opened here');
          assert.equal(pool.stats().length, 1, 'one worker, started for the detector');
          assert.equal(pool.holdsTogether([ids[0]]), true, 'the worker holds the detector');
          const first = await classifyFrame(detector, classifier, FRAME);
          assert.deepEqual({ faces: first.faces, width: first.width, height: first.height }, expected);
          await pool.settled();
          assert.deepEqual(pool.heldHere(), []);
          assert.equal(pool.stats().length, 2);
          assert.equal(pool.holdsTogether(ids), true, 'every worker opened the classifier after the start');
        } finally {
          await Promise.all([detector.release(), classifier.release()]);
        }
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("opens every model in the worker at a later start in the process (a flow's redeploy): this thread helps a cold start only", async () => {
    await answers(0, [FRAME]); // both models in the optimised-model cache
    startAsIfFirst();
    await withWorkers(2, async () => {
      const pool = sharedPool(2);
      const open = () => Promise.all([FaceDetector.create({ model: 'full' }), ExpressionClassifier.create()]);
      const first = await open();
      try {
        assert.equal(pool.heldHere().length, 2, "the process's first start: both models here");
        await classifyFrame(first[0], first[1], FRAME);
        await pool.settled();
      } finally {
        await Promise.all(first.map((m) => m.release()));
      }
      assert.deepEqual(pool.stats(), [], 'the pool ended with its sessions');
      const [detector, classifier] = await open();
      try {
        const ids = [pooledSession(detector.task.session).id, pooledSession(classifier.task.session).id];
        assert.deepEqual(pool.heldHere(), []);
        assert.equal(pool.stats().length, 1, 'one worker until the first frame');
        assert.equal(pool.holdsTogether(ids), true, 'the one worker holds both');
        await classifyFrame(detector, classifier, FRAME);
      } finally {
        await Promise.all([detector.release(), classifier.release()]);
      }
    });
  });

  it('opens every model in the worker where the cache does not have it (no optimisation in this thread)', async () => {
    const before = process.env.LIGHTEXNET_CACHE_DIR;
    process.env.LIGHTEXNET_CACHE_DIR = 'off';
    startAsIfFirst();
    try {
      await withWorkers(2, async () => {
        const [detector, classifier] = await Promise.all([FaceDetector.create({ model: 'full' }), ExpressionClassifier.create()]);
        const pool = sharedPool(2);
        try {
          const ids = [pooledSession(detector.task.session).id, pooledSession(classifier.task.session).id];
          assert.deepEqual(pool.heldHere(), []);
          assert.equal(pool.holdsTogether(ids), true, 'the one worker holds both');
          await classifyFrame(detector, classifier, FRAME);
          assert.deepEqual(
            pool.stats().map((w) => w.runs),
            [2],
            'the first frame: a run of each model in that worker',
          );
        } finally {
          await Promise.all([detector.release(), classifier.release()]);
        }
      });
    } finally {
      if (before === undefined) delete process.env.LIGHTEXNET_CACHE_DIR;
      else process.env.LIGHTEXNET_CACHE_DIR = before;
    }
  });

  it('rejects bad bytes with the ImageInputError and message the calling thread gives', async () => {
    const bad = [Buffer.alloc(0), Buffer.from('not an image at all'), FRAME.subarray(0, 600)];
    const here = await answers(0, bad);
    const pooled = await answers(1, bad);
    assert.ok(
      here.every((r) => r.error && r.imageInputError),
      JSON.stringify(here),
    );
    assert.deepEqual(pooled, here);
    // The decode limit travels with the frame.
    await withWorkers(1, async () => {
      const detector = await FaceDetector.create({ model: 'short' });
      try {
        await assert.rejects(
          detectFrame(detector, FRAME, { maxPixels: 1000 }),
          (err) => err instanceof ImageInputError && /over the limit of 1000 pixels/.test(err.message),
        );
      } finally {
        await detector.release();
      }
    });
  });

  it('fails a frame whose worker dies with a clear error, and carries on in a replacement', async () => {
    await withWorkers(1, async () => {
      const detector = await FaceDetector.create({ model: 'full' });
      const classifier = await ExpressionClassifier.create();
      const pool = sharedPool(1);
      try {
        const frame = FRAME;
        const expected = await classifyFrame(detector, classifier, frame);
        await pool.settled(); // the worker has both models (a process's first start opens them here first)
        // The worker dies with the frame in it: once the frame's task is posted (after its decode here), the
        // worker is told to exit, which it does at its next turn, before the task can finish.
        const inFlight = classifyFrame(detector, classifier, frame);
        while (!pool.workers.some((w) => w.inFlight > 0)) await new Promise((r) => setImmediate(r));
        pool.crashOne();
        await assert.rejects(inFlight, /inference worker stopped \(exit code 1\)/);
        const again = await classifyFrame(detector, classifier, frame);
        assert.deepEqual(again.faces, expected.faces, 'a new worker reopened both sessions');
      } finally {
        await Promise.all([detector.release(), classifier.release()]);
      }
    });
  });
});
