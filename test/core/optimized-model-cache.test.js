'use strict';
/**
 * The optimised-model cache (src/core/runtime/optimized-model-cache.ts): a model opened from its cached,
 * optimised form answers exactly as from its original; a damaged cache file, a model file changed since it
 * was cached, a directory others can write, and a cache turned off all leave the model opening (or failing)
 * as it would without the cache.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { FaceDetector, ExpressionClassifier, decodeImage } = require('../../dist/core');
const { createLocalSession } = require('../../dist/core/runtime/onnx-backend');
const { ModelLoadError } = require('../../dist/core/runtime/model-file');
const { FIXTURES, ROOT } = require('../support/paths');
const { withWorkers } = require('../support/workers');
const { prng } = require('../support/prng');

const MODELS = path.join(ROOT, 'models');
const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'lightexnet-fer2013.json'), 'utf8'));
const classifierFile = { path: path.join(MODELS, manifest.file), sha256: manifest.sha256 };

/** A full garbage collection, without starting mocha with --expose-gc. */
function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  vm.runInNewContext('gc')();
}

/** Runs fn with LIGHTEXNET_CACHE_DIR=dir, then restores it. */
async function withCache(dir, fn) {
  const before = process.env.LIGHTEXNET_CACHE_DIR;
  process.env.LIGHTEXNET_CACHE_DIR = dir;
  try {
    return await fn();
  } finally {
    process.env.LIGHTEXNET_CACHE_DIR = before;
  }
}

/** Opens a model in this thread, runs it on one seeded batch, closes it: its outputs and what the cache did. */
async function runOnce(source, feeds) {
  const { session, cache, backend } = await createLocalSession(source, 'native');
  try {
    const out = await session.run(feeds);
    return { cache, backend, out: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data)])) };
  } finally {
    await session.release();
  }
}

function classifierFeeds() {
  const rand = prng(7);
  const n = 3;
  const size = manifest.views.size;
  // Two views' grids as the classifier sends them: the identity and its mirror, sampled at size x size.
  const grid = new Float32Array(2 * size * size * 2);
  for (let v = 0; v < 2; v++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const i = ((v * size + y) * size + x) * 2;
        const gx = ((2 * x + 1) / size - 1) * (v === 1 ? -1 : 1);
        grid[i] = gx;
        grid[i + 1] = (2 * y + 1) / size - 1;
      }
  return {
    [manifest.input.name]: { data: Float32Array.from({ length: n * 48 * 48 }, () => rand()), dims: [n, 1, 48, 48] },
    [manifest.views.input]: { data: grid, dims: [2, size, size, 2] },
  };
}

describe('optimised-model cache', function () {
  this.timeout(120000);
  let dir;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightexnet-cache-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is written at the first open, used at the next, and answers exactly as the original model', async () => {
    const feeds = classifierFeeds();
    const plain = await withCache('off', () => runOnce(classifierFile, feeds));
    assert.equal(plain.cache, 'off: LIGHTEXNET_CACHE_DIR=off');
    const first = await withCache(dir, () => runOnce(classifierFile, feeds));
    const second = await withCache(dir, () => runOnce(classifierFile, feeds));
    assert.equal(first.cache, 'written');
    assert.equal(second.cache, 'used');
    assert.deepEqual(first.out, plain.out);
    assert.deepEqual(second.out, plain.out);
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 2, files.join(', '));
    assert.match(files[0], /^lightexnet-fer2013-[0-9a-f]{20}\.ort$/);
    assert.equal(files[1], `${files[0]}.sha256`);
    // ORT format (its file identifier at bytes 4-8), whose weights the runtime reads in place; ONNX's it copies.
    assert.equal(fs.readFileSync(path.join(dir, files[0])).subarray(4, 8).toString('latin1'), 'ORTM');
    assert.equal(fs.statSync(path.join(dir, files[0])).mode & 0o077, 0, 'only its owner reads it');
    assert.equal(fs.statSync(dir).mode & 0o077, 0, 'a folder of its own');
  });

  it("gives the same faces and expressions through the nodes' path (workers, detector and classifier)", async () => {
    const img = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg')));
    const classify = () =>
      withWorkers(1, async () => {
        const [detector, classifier] = await Promise.all([FaceDetector.create(), ExpressionClassifier.create()]);
        try {
          return await classifier.classifyFaces(img, await detector.detect(img));
        } finally {
          await Promise.all([detector.release(), classifier.release()]);
        }
      });
    const plain = await withCache('off', classify);
    const written = await withCache(dir, classify);
    const used = await withCache(dir, classify);
    assert.equal(plain.length, 1);
    assert.deepEqual(written, plain);
    assert.deepEqual(used, plain);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.ort')).length, 2, 'BlazeFace and the classifier');
  });

  it("keeps the bytes a cached model's weights are read from for as long as its session", async () => {
    const feeds = classifierFeeds();
    const plain = await withCache('off', () => runOnce(classifierFile, feeds));
    await withCache(dir, () => runOnce(classifierFile, feeds));
    const { session, cache } = await withCache(dir, () => createLocalSession(classifierFile, 'native'));
    try {
      assert.equal(cache, 'used');
      // Bytes let go of here would be freed by the collections below and reused by the garbage, and the runs
      // after them would read it as weights (or crash the process).
      for (let round = 0; round < 3; round++) {
        collectGarbage();
        const junk = Array.from({ length: 64 }, () => Buffer.alloc(1 << 20, 0x7f));
        const out = await session.run(feeds);
        assert.deepEqual(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data)])), plain.out);
        junk.length = 0;
      }
    } finally {
      await session.release();
    }
  });

  it('removes a damaged cache file and opens the model from its original', async () => {
    const feeds = classifierFeeds();
    const first = await withCache(dir, () => runOnce(classifierFile, feeds));
    const ort = fs.readdirSync(dir).find((f) => f.endsWith('.ort'));
    const file = path.join(dir, ort);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const again = await withCache(dir, () => runOnce(classifierFile, feeds));
    assert.equal(again.cache, 'written', 'made again from the original');
    assert.deepEqual(again.out, first.out);
    const third = await withCache(dir, () => runOnce(classifierFile, feeds));
    assert.equal(third.cache, 'used');
    // Grown past what one buffer holds (a sparse 5 GB file): refused as unreadable, made again.
    fs.truncateSync(file, 5 * 2 ** 30);
    const huge = await withCache(dir, () => runOnce(classifierFile, feeds));
    assert.equal(huge.cache, 'written');
    assert.deepEqual(huge.out, first.out);
  });

  it('hashes a cached file again only when it is not the file last checked (inode, size, times), then notes it', async () => {
    const crypto = require('node:crypto');
    const feeds = classifierFeeds();
    const plain = await withCache('off', () => runOnce(classifierFile, feeds));
    await withCache(dir, () => runOnce(classifierFile, feeds));
    const sidecarFile = path.join(
      dir,
      fs.readdirSync(dir).find((f) => f.endsWith('.sha256')),
    );
    const ortFile = sidecarFile.replace(/\.sha256$/, '');
    const noted = JSON.parse(fs.readFileSync(sidecarFile, 'utf8'));
    const st = fs.statSync(ortFile);
    assert.deepEqual(noted.file, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }, 'noted when written');
    // Counts the sha256s of the cached file's size (this thread opens the session: createLocalSession).
    const hashesOfCachedFile = async () => {
      const createHash = crypto.createHash;
      let n = 0;
      crypto.createHash = (...args) => {
        const h = createHash.apply(crypto, args);
        const update = h.update.bind(h);
        h.update = (data, ...rest) => {
          if (data.length === st.size) n++;
          return update(data, ...rest);
        };
        return h;
      };
      try {
        const r = await withCache(dir, () => runOnce(classifierFile, feeds));
        assert.equal(r.cache, 'used');
        assert.deepEqual(r.out, plain.out);
      } finally {
        crypto.createHash = createHash;
      }
      return n;
    };
    assert.equal(await hashesOfCachedFile(), 0, 'the file last checked: used as it is');
    // A sidecar from before the stamp (or a file copied back in place): hashed once, then noted again.
    fs.writeFileSync(sidecarFile, JSON.stringify({ ...noted, file: undefined }));
    assert.equal(await hashesOfCachedFile(), 1, 'checked once');
    assert.deepEqual(JSON.parse(fs.readFileSync(sidecarFile, 'utf8')).file, noted.file, 'and noted');
    assert.equal(await hashesOfCachedFile(), 0);
    fs.utimesSync(ortFile, new Date(), new Date(st.mtimeMs + 5000)); // touched: the same bytes, another file as far as we know
    assert.equal(await hashesOfCachedFile(), 1);
  });

  it('checks a model file changed since it was cached against its manifest again', async () => {
    const copy = path.join(dir, 'model');
    fs.mkdirSync(copy);
    const onnx = path.join(copy, 'lightexnet-fer2013.onnx');
    fs.copyFileSync(classifierFile.path, onnx);
    const cacheDir = path.join(dir, 'cache');
    const source = { path: onnx, sha256: manifest.sha256 };
    assert.equal((await withCache(cacheDir, () => runOnce(source, classifierFeeds()))).cache, 'written');
    // The same size, another byte, a later time: what a damaged or replaced file looks like.
    const bytes = fs.readFileSync(onnx);
    bytes[100] ^= 0x01;
    fs.writeFileSync(onnx, bytes);
    fs.utimesSync(onnx, new Date(), new Date(Date.now() + 5000));
    await assert.rejects(
      withCache(cacheDir, () => createLocalSession(source, 'native')),
      (err) => err instanceof ModelLoadError && /damaged or replaced/.test(err.message),
    );
    // Put back (another time again): checked once more, then used.
    fs.copyFileSync(classifierFile.path, onnx);
    assert.equal((await withCache(cacheDir, () => runOnce(source, classifierFeeds()))).cache, 'used');
  });

  it('stands aside for a folder others can write, and when turned off; the model still opens', async () => {
    fs.chmodSync(dir, 0o777);
    const open = await withCache(dir, () => runOnce(classifierFile, classifierFeeds()));
    assert.match(open.cache, /^off: .* is writable by others$/);
    assert.match(open.backend.cacheProblem, /is writable by others$/, 'told to the nodes, which log it');
    const chosen = await withCache('off', () => runOnce(classifierFile, classifierFeeds()));
    assert.equal(chosen.backend.cacheProblem, undefined, 'turned off on purpose: nothing to tell');
    assert.deepEqual(fs.readdirSync(dir), []);
    const blocked = path.join(dir, 'a-file');
    fs.writeFileSync(blocked, '');
    const under = await withCache(path.join(blocked, 'cache'), () => runOnce(classifierFile, classifierFeeds()));
    assert.match(under.cache, /^off: /);
  });

  it('opens cached models without loading node:crypto, in the calling thread and in a worker (~6 ms of each)', async () => {
    // A child, as this process loaded node:crypto long ago: the models opened in its own thread, then the
    // classifier opened in a worker thread the way an inference worker opens it; each thread says whether it
    // loaded the module.
    const loaded = "process.moduleLoadList.includes('NativeModule crypto')";
    const inWorker = `
      const { createLocalSession } = require(${JSON.stringify(path.join(ROOT, 'dist', 'core', 'runtime', 'onnx-backend'))});
      createLocalSession(${JSON.stringify(classifierFile)}, 'native').then(async ({ session, cache }) => {
        await session.release();
        require('node:worker_threads').parentPort.postMessage({ cache, crypto: ${loaded} });
      });`;
    const script = `
      const core = require(${JSON.stringify(path.join(ROOT, 'dist', 'core'))});
      const { Worker } = require('node:worker_threads');
      (async () => {
        const [detector, classifier] = await Promise.all([core.FaceDetector.create(), core.ExpressionClassifier.create()]);
        const here = ${loaded};
        await Promise.all([detector.release(), classifier.release()]);
        const worker = await new Promise((r) => new Worker(${JSON.stringify(inWorker)}, { eval: true }).once('message', r));
        console.log(JSON.stringify({ here, worker }));
      })();`;
    // A file, not -e: Node's -e loads node:crypto itself.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lightexnet-crypto-test-')), 'start.js');
    fs.writeFileSync(file, script);
    const run = () =>
      JSON.parse(
        require('node:child_process').execFileSync(process.execPath, [file], {
          env: { ...process.env, LIGHTEXNET_CACHE_DIR: dir, LIGHTEXNET_WORKERS: '0' },
          encoding: 'utf8',
        }),
      );
    const first = run(); // writes the entries (and remembers the runtime's check): hashes, so loads it
    assert.equal(first.worker.cache, 'used');
    assert.deepEqual(run(), { here: false, worker: { cache: 'used', crypto: false } });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('removes the entries of older versions of the same model, and only those (not another model of the same name)', async () => {
    fs.chmodSync(dir, 0o700);
    const older = path.join(dir, 'lightexnet-fer2013-0123456789abcdef0123.ort');
    const other = path.join(dir, 'lightexnet-fer2013-v2-0123456789abcdef0123.ort');
    // What a crash in the middle of a write leaves: removed once it is an hour old, not while it may be in use.
    const crashed = path.join(dir, '.lightexnet-fer2013-0123456789abcdef0123.ort.4242.0badf00d.tmp');
    const writing = path.join(dir, '.lightexnet-fer2013-0123456789abcdef0123.ort.4343.0badf00d.tmp');
    for (const f of [older, `${older}.sha256`, other, `${other}.sha256`, crashed, writing]) fs.writeFileSync(f, 'x');
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    fs.utimesSync(crashed, twoHoursAgo, twoHoursAgo);
    // Entries of the same file name made from other model files: one from a file that is still there (another
    // model that happens to share the name: it stays, or the two would evict each other at every open), one
    // from a file that is gone, and one from this very file before it changed (both go).
    const elsewhereModel = path.join(dir, 'elsewhere.onnx');
    fs.writeFileSync(elsewhereModel, 'another model');
    const entries = {
      elsewhere: [path.join(dir, 'lightexnet-fer2013-aaaaaaaaaaaaaaaaaaaa.ort'), elsewhereModel],
      gone: [path.join(dir, 'lightexnet-fer2013-bbbbbbbbbbbbbbbbbbbb.ort'), path.join(dir, 'moved-away.onnx')],
      upgraded: [path.join(dir, 'lightexnet-fer2013-cccccccccccccccccccc.ort'), path.resolve(classifierFile.path)],
    };
    for (const [file, from] of Object.values(entries)) {
      fs.writeFileSync(file, 'x');
      fs.writeFileSync(`${file}.sha256`, JSON.stringify({ sha256: 'x', source: { path: from, size: 1, mtimeMs: 1 } }));
    }
    assert.equal((await withCache(dir, () => runOnce(classifierFile, classifierFeeds()))).cache, 'written');
    const left = fs.readdirSync(dir);
    assert.ok(!left.includes(path.basename(older)) && !left.includes(`${path.basename(older)}.sha256`), left.join(', '));
    assert.ok(left.includes(path.basename(other)), 'another model of a similar name stays');
    assert.ok(!left.includes(path.basename(crashed)), 'an old scratch file goes');
    assert.ok(left.includes(path.basename(writing)), 'a recent one stays');
    const kept = (name) => left.includes(path.basename(entries[name][0])) && left.includes(`${path.basename(entries[name][0])}.sha256`);
    const gone = (name) => !left.includes(path.basename(entries[name][0])) && !left.includes(`${path.basename(entries[name][0])}.sha256`);
    assert.ok(kept('elsewhere'), `same name, another model file that is still there: ${left.join(', ')}`);
    assert.ok(gone('gone'), `same name, a model file that is gone: ${left.join(', ')}`);
    assert.ok(gone('upgraded'), `this model file's earlier version: ${left.join(', ')}`);
  });
});
