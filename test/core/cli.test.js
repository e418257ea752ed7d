'use strict';
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');
const { ROOT, FIXTURES, SHARED_DATA } = require('../support/paths');

const BIN = path.join(ROOT, 'bin', 'lightexnet.js');
const run = (...args) => JSON.parse(execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8' }));
const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

describe('lightexnet CLI', function () {
  const img = path.join(FIXTURES, 'astronaut-640x480.jpg');
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-cli-'));
    const face = await sharp(img).extract({ left: 200, top: 110, width: 240, height: 240 }).resize(100, 100).jpeg().toBuffer();
    // A folder of class-named subfolders, and a RAF-DB "basic" layout, both built from the fixture.
    for (const c of ['happy', 'Sadness']) {
      fs.mkdirSync(path.join(dir, 'folder', c), { recursive: true });
      fs.writeFileSync(path.join(dir, 'folder', c, 'a.jpg'), face);
      fs.copyFileSync(img, path.join(dir, 'folder', c, 'full.jpg'));
    }
    fs.mkdirSync(path.join(dir, 'raf', 'EmoLabel'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'raf', 'Image', 'aligned'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'raf', 'EmoLabel', 'list_patition_label.txt'), 'train_00001.jpg 4\ntest_0001.jpg 4\ntest_0002.jpg 7\n');
    for (const n of ['train_00001', 'test_0001', 'test_0002'])
      fs.writeFileSync(path.join(dir, 'raf', 'Image', 'aligned', `${n}_aligned.jpg`), face);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('detect --json prints faces in image pixels, the size and the backend', () => {
    const r = run('detect', img, '--json');
    assert.equal(r.width, 640);
    assert.equal(r.height, 480);
    assert.equal(r.faces.length, 1);
    assert.deepEqual(Object.keys(r.faces[0].box), ['x', 'y', 'width', 'height']);
    assert.equal(r.backend, 'native');
    assert.equal(run('detect', img, '--model', 'full', '--json').faces.length, 1);
  });

  it('classify --json adds the expression of every face', () => {
    const r = run('classify', img, '--json');
    assert.equal(r.faces.length, 1);
    assert.ok(LABELS.includes(r.faces[0].expression));
    assert.deepEqual(Object.keys(r.faces[0].probabilities), LABELS);
    assert.equal('fallbackReason' in r, false, 'said only when the WASM runtime is the fallback');
  });

  it('--json says why the WASM runtime runs when it does', () => {
    const env = { ...process.env, LIGHTEXNET_BACKEND: 'wasm' };
    for (const cmd of ['detect', 'classify']) {
      const r = JSON.parse(execFileSync(process.execPath, [BIN, cmd, img, '--json'], { encoding: 'utf8', env }));
      assert.equal(r.backend, 'wasm');
      assert.equal(r.fallbackReason, 'LIGHTEXNET_BACKEND=wasm');
    }
  });

  it('classify --level-beyond levels faces tilted further, off leaves them, a bad value is refused', async () => {
    const tilted = path.join(dir, 'tilted.jpg');
    fs.writeFileSync(tilted, await sharp(img).rotate(40, { background: '#808080' }).jpeg().toBuffer());
    const levelled = run('classify', tilted, '--json').faces[0].probabilities;
    assert.deepEqual(run('classify', tilted, '--level-beyond', '16', '--json').faces[0].probabilities, levelled);
    assert.notDeepEqual(run('classify', tilted, '--level-beyond', 'off', '--json').faces[0].probabilities, levelled);
    const r = spawnSync(process.execPath, [BIN, 'classify', img, '--level-beyond=-3'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--level-beyond must be degrees >= 0 or "off", not "-3"/);
  });

  it('says once on stderr when the optimised-model cache cannot be used, and still answers', () => {
    const cache = path.join(dir, 'open-cache');
    fs.mkdirSync(cache, { mode: 0o777 });
    fs.chmodSync(cache, 0o777); // past the umask: a folder others can write is refused
    const env = { ...process.env, LIGHTEXNET_CACHE_DIR: cache };
    const r = spawnSync(process.execPath, [BIN, 'classify', img, '--json'], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).faces.length, 1);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('optimised-model cache not used'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0], /writable by others/);
    const off = spawnSync(process.execPath, [BIN, 'classify', img, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, LIGHTEXNET_CACHE_DIR: 'off' },
    });
    assert.equal(off.status, 0, off.stderr);
    assert.doesNotMatch(off.stderr, /cache/, 'turned off by the user: nothing to say');
  });

  it('eval --folder reads class-named subfolders, with and without --detect', () => {
    const r = run('eval', '--folder', path.join(dir, 'folder'));
    assert.equal(r.n, 4);
    assert.deepEqual(r.labels, LABELS);
    assert.equal(
      r.confusion.flat().reduce((a, b) => a + b, 0),
      4,
    );
    const d = run('eval', '--folder', path.join(dir, 'folder'), '--detect');
    assert.equal(d.n, 4);
    assert.equal(d.facesMissed, 0);
  });

  it('eval --rafdb reads the RAF-DB basic layout', () => {
    const r = run('eval', '--rafdb', path.join(dir, 'raf'), '--split', 'test');
    assert.equal(r.n, 2);
    assert.equal(r.dataset, 'rafdb-basic');
    assert.equal(
      r.confusion[3].reduce((a, b) => a + b, 0),
      1,
      'label 4 (Happiness) counts as happy',
    );
    assert.equal(
      r.confusion[6].reduce((a, b) => a + b, 0),
      1,
      'label 7 is neutral',
    );
  });

  it('eval --fer2013 on the packed split prints accuracy, recall and the confusion matrix', function () {
    if (!fs.existsSync(path.join(SHARED_DATA, 'fer2013'))) {
      console.log('      (skipped: ../shared/data/fer2013 is not present)');
      return this.skip();
    }
    const r = run('eval', '--fer2013', path.join(SHARED_DATA, 'fer2013'), '--split', 'test');
    assert.equal(r.n, 7178);
    assert.deepEqual(Object.keys(r.perClassRecall), LABELS);
  });

  it('eval --fer2013 --detect scores the path the nodes take: each image in a frame, found, cropped, classified', function () {
    if (!fs.existsSync(path.join(SHARED_DATA, 'fer2013'))) {
      console.log('      (skipped: ../shared/data/fer2013 is not present)');
      return this.skip();
    }
    const data = path.join(SHARED_DATA, 'fer2013');
    const r = run('eval', '--fer2013', data, '--split', 'publictest', '--detect', '--limit', '200', '--views', '1');
    assert.equal(r.limit, 200);
    assert.equal(r.throughDetector.model, 'full');
    assert.equal(r.throughDetector.images, 200);
    assert.equal(r.n + r.throughDetector.facesMissed, 200, 'every image is scored or counted as missed');
    assert.ok(r.n >= 150, `the detector finds most FER2013 faces in their frames (${r.n} of 200)`);
    // Chance is 1/7; the model scores ~66 % on this path. A broken crop (wrong box mapping, wrong channel)
    // falls towards chance.
    assert.ok(r.accuracy > 0.45, `accuracy through the detector ${r.accuracy}`);
    const direct = run('eval', '--fer2013', data, '--split', 'publictest', '--limit', '200', '--views', '1');
    assert.equal(direct.n, 200);
    assert.equal(direct.throughDetector, undefined);
    const bad = spawnSync(process.execPath, [BIN, 'eval', '--fer2013', data, '--limit', '0'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--limit must be a whole number above 0/);
  });

  it('eval --fer2013 --detect --face-px shows each face at that width; 192 is the default frame', function () {
    if (!fs.existsSync(path.join(SHARED_DATA, 'fer2013'))) {
      console.log('      (skipped: ../shared/data/fer2013 is not present)');
      return this.skip();
    }
    const data = path.join(SHARED_DATA, 'fer2013');
    const common = ['eval', '--fer2013', data, '--split', 'publictest', '--detect', '--limit', '60', '--views', '1'];
    const byDefault = run(...common);
    const same = run(...common, '--face-px', '192');
    assert.deepEqual(same.confusion, byDefault.confusion, '192 px in 384x384 is the default frame');
    assert.equal(same.throughDetector.boxWidthMedian, byDefault.throughDetector.boxWidthMedian);
    const small = run(...common, '--face-px', '32');
    assert.match(small.throughDetector.frame, /scaled 0.667x .* in a 64x64 frame/);
    assert.ok(small.throughDetector.boxWidthMedian < 40, `a 32 px image's face box: ${small.throughDetector.boxWidthMedian} px`);
    assert.ok(byDefault.throughDetector.boxWidthMedian > 150, `a 192 px image's face box: ${byDefault.throughDetector.boxWidthMedian} px`);
    for (const [args, message] of [
      [['--face-px', '8'], /the face width must be 12 to 480 pixels, not 8/],
      [['--face-px', 'wide'], /--face-px must be a face width in pixels, not "wide"/],
    ]) {
      const bad = spawnSync(process.execPath, [BIN, ...common, ...args], { encoding: 'utf8' });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, message);
    }
    const noDetect = spawnSync(process.execPath, [BIN, 'eval', '--fer2013', data, '--face-px', '32'], { encoding: 'utf8' });
    assert.equal(noDetect.status, 1);
    assert.match(noDetect.stderr, /--face-px .* needs --detect/);
  });

  it('fails with a clear message and a non-zero exit on bad input', () => {
    const bad = path.join(dir, 'bad.jpg');
    fs.writeFileSync(bad, 'not an image');
    const r = spawnSync(process.execPath, [BIN, 'detect', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /lightexnet: not a decodable image/);
    const u = spawnSync(process.execPath, [BIN, 'frobnicate'], { encoding: 'utf8' });
    assert.equal(u.status, 2);
    assert.match(u.stderr, /unknown command/);
  });
});
