'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { FaceDetector } = require('../../dist/core/detection/face-detector');
const { decodeImage } = require('../../dist/core/image/image');
const { liveSessionCount } = require('../../dist/core/runtime/onnx-backend');
const { ROOT, FIXTURES, SHARED_DATA, requireSharedData } = require('../support/paths');

/**
 * Faces present in the scene photos, annotated by hand (centre and side in pixels). `optional` faces
 * (a profile behind a camera, a small face far away) may be found or not, but nothing else may be.
 */
const SCENES = {
  'astronaut.png': { faces: [[226, 121, 100]] },
  'biden.jpg': { faces: [[587, 394, 314]] },
  'camera.png': { faces: [], optional: [[230, 160, 80]] },
  'messi5.jpg': { faces: [], optional: [[237, 108, 32]] },
  'obama.jpg': { faces: [[490, 272, 281]] },
  'obama_and_biden.jpg': {
    faces: [
      [837, 519, 212],
      [1227, 485, 193],
    ],
  },
  'two_people.jpg': {
    faces: [
      [872, 159, 167],
      [319, 134, 170],
    ],
  },
};
// The short-range model is for faces within ~2 m; on these far faces it may miss or misjudge the size.
const SHORT_MAY_MISS = new Set(['obama_and_biden.jpg']);

/** Centre within a quarter of the face's side; with `loose`, any size (a far face seen by short range). */
const matches = (face, [cx, cy, side], loose = false) => {
  const fx = face.box.x + face.box.width / 2;
  const fy = face.box.y + face.box.height / 2;
  return Math.hypot(fx - cx, fy - cy) < 0.25 * side && (loose || Math.abs(face.box.width / side - 1) < 0.3);
};

function checkScene(name, faces, mayMiss) {
  const { faces: expected, optional = [] } = SCENES[name];
  for (const f of faces) {
    assert.ok(
      [...expected, ...optional].some((e) => matches(f, e, mayMiss)),
      `${name}: unexpected detection ${JSON.stringify(f.box)}`,
    );
    assert.equal(f.keypoints.length, 6);
    assert.ok(f.score >= 0.5 && f.score <= 1);
  }
  const found = expected.filter((e) => faces.some((f) => matches(f, e))).length;
  if (!mayMiss) assert.equal(found, expected.length, `${name}: found ${found} of ${expected.length} faces`);
  return found;
}

describe('FaceDetector', function () {
  const detectors = {};
  before(async () => {
    detectors.short = await FaceDetector.create({ model: 'short' });
    detectors.full = await FaceDetector.create({ model: 'full' });
  });
  after(async () => {
    await detectors.short.release();
    await detectors.full.release();
  });

  it('finds the astronaut fixture with a tight box and landmarks where the eyes and mouth are', async () => {
    const img = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut.png')));
    for (const d of [detectors.short, detectors.full]) {
      const faces = await d.detect(img);
      assert.equal(faces.length, 1);
      checkScene('astronaut.png', faces, false);
      const kp = Object.fromEntries(faces[0].keypoints.map((k) => [k.name, k]));
      assert.ok(kp.right_eye.x < kp.left_eye.x, "the subject's right eye is on the image's left");
      assert.ok(kp.mouth_center.y > kp.nose_tip.y && kp.nose_tip.y > kp.right_eye.y);
    }
  });

  it('finds no face in a blank frame or in noise', async () => {
    const blank = await decodeImage({ data: new Uint8Array(320 * 240 * 3).fill(128), width: 320, height: 240, channels: 3 });
    const noise = new Uint8Array(320 * 240 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    for (const d of [detectors.short, detectors.full]) {
      assert.equal((await d.detect(blank)).length, 0);
      assert.equal((await d.detect(await decodeImage({ data: noise, width: 320, height: 240, channels: 3 }))).length, 0);
    }
  });

  it('maps boxes back through the letterbox: a padded frame gives the same face, shifted', async () => {
    const sharp = require('sharp');
    const src = path.join(FIXTURES, 'astronaut.png');
    const padded = await sharp(src).extend({ left: 300, right: 0, top: 0, bottom: 100, background: '#000' }).png().toBuffer();
    const a = (await detectors.full.detect(await decodeImage(fs.readFileSync(src))))[0];
    const b = (await detectors.full.detect(await decodeImage(padded)))[0];
    assert.ok(Math.abs(b.box.x - 300 - a.box.x) < a.box.width * 0.1);
    assert.ok(Math.abs(b.box.y - a.box.y) < a.box.height * 0.1);
    assert.ok(Math.abs(b.box.width / a.box.width - 1) < 0.15);
  });

  it('frames in flight at once on one detector each get their own answer (its input tensors are reused)', async () => {
    const names = ['astronaut.png', 'astronaut-640x480.jpg', 'camera.png'];
    const frames = await Promise.all(names.map(async (n) => decodeImage(fs.readFileSync(path.join(FIXTURES, n)))));
    const alone = [];
    for (const f of frames) alone.push(await detectors.full.detect(f));
    for (let round = 0; round < 3; round++) {
      const together = await Promise.all([...frames, ...frames].map((f) => detectors.full.detect(f)));
      together.forEach((faces, i) => assert.deepEqual(faces, alone[i % frames.length], `${names[i % frames.length]}, round ${round}`));
    }
  });

  it('honours min score and min face size', async () => {
    const img = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut.png')));
    const strict = await FaceDetector.create({ model: 'short', minScore: 0.999 });
    const big = await FaceDetector.create({ model: 'short', minFaceSize: 200 });
    assert.equal((await strict.detect(img)).length, 0);
    assert.equal((await big.detect(img)).length, 0);
    await strict.release();
    await big.release();
  });

  it('shares one session between detectors of the same model and releases it with the last one', async () => {
    const before = liveSessionCount();
    const a = await FaceDetector.create({ model: 'short', threads: 2 });
    const b = await FaceDetector.create({ model: 'short', threads: 2 });
    assert.equal(liveSessionCount(), before + 1);
    await a.release();
    await a.release(); // a second release is harmless
    assert.equal(liveSessionCount(), before + 1);
    await b.release();
    assert.equal(liveSessionCount(), before);
  });

  it('fails with a clear error when the BlazeFace files are missing', async () => {
    await assert.rejects(
      FaceDetector.create({ model: 'short', modelDir: '/nonexistent' }),
      /cannot read the BlazeFace model .*nonexistent/,
    );
    await assert.rejects(FaceDetector.create({ model: 'medium' }), /unknown detector model/);
    // The index is there and the graph is not, or is not the one the index lists: the thread that opens it says so.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-bf-'));
    try {
      fs.copyFileSync(path.join(ROOT, 'models', 'blazeface.json'), path.join(dir, 'blazeface.json'));
      await assert.rejects(FaceDetector.create({ model: 'short', modelDir: dir }), /blazeface-short\.onnx not found \(ENOENT\)/);
      fs.writeFileSync(path.join(dir, 'blazeface-short.onnx'), 'not a model');
      await assert.rejects(FaceDetector.create({ model: 'short', modelDir: dir }), /blazeface-short\.onnx is damaged or replaced/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on the scene photos in shared/data', function () {
    for (const name of Object.keys(SCENES)) {
      it(`${name}: finds every face present and nothing else`, async function () {
        requireSharedData(this, 'scenes');
        const img = await decodeImage(fs.readFileSync(path.join(SHARED_DATA, 'scenes', name)));
        checkScene(name, await detectors.full.detect(img), false);
        checkScene(name, await detectors.short.detect(img), SHORT_MAY_MISS.has(name));
      });
    }
  });
});
