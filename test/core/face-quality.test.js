'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { FaceDetector, decodeImage } = require('../../dist/core');
const { implausibleFace } = require('../../dist/core/detection/face-quality');
const { FIXTURES } = require('../support/paths');

/** A face with BlazeFace's six landmarks placed from an eye distance `d`, centre (cx, cy), angle `deg`. */
function face(cx, cy, d, deg = 0, parts = {}) {
  const a = (deg * Math.PI) / 180;
  const at = (x, y) => ({ x: cx + x * Math.cos(a) - y * Math.sin(a), y: cy + x * Math.sin(a) + y * Math.cos(a) });
  const p = {
    right_eye: [-d / 2, 0],
    left_eye: [d / 2, 0],
    nose_tip: [0, 0.55 * d],
    mouth_center: [0, d],
    right_ear_tragion: [-d, 0.2 * d],
    left_ear_tragion: [d, 0.2 * d],
    ...parts,
  };
  return {
    box: { x: cx - d, y: cy - d, width: 2 * d, height: 2 * d },
    score: 0.9,
    keypoints: Object.entries(p).map(([name, [x, y]]) => ({ name, ...at(x, y) })),
  };
}

describe('face check (landmark geometry)', () => {
  it('passes upright and tilted faces', () => {
    for (const deg of [0, 20, -35]) assert.equal(implausibleFace(face(100, 100, 40, deg)), undefined, `${deg} degrees`);
  });

  it('refuses landmarks no face has', () => {
    assert.match(implausibleFace(face(100, 100, 40, 0, { nose_tip: [0, -10] })), /nose/);
    assert.match(implausibleFace(face(100, 100, 40, 0, { mouth_center: [0, 2] })), /mouth/);
    assert.match(implausibleFace(face(100, 100, 40, 0, { mouth_center: [60, 40] })), /side/);
    const tinyEyes = face(100, 100, 40);
    tinyEyes.box.width = tinyEyes.box.height = 400;
    assert.match(implausibleFace(tinyEyes), /eye distance/);
    assert.equal(
      implausibleFace({ box: { x: 0, y: 0, width: 10, height: 10 }, score: 1, keypoints: [] }),
      undefined,
      'no landmarks: not judged',
    );
  });

  it('the detector keeps the real face in the test photo with the check on', async () => {
    const d = await FaceDetector.create({ model: 'short' });
    try {
      const img = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg')));
      assert.equal((await d.detect(img)).length, 1);
      // Upside down, the landmarks are still a face's along its own axes.
      const flipped = await decodeImage(await sharp(path.join(FIXTURES, 'astronaut-640x480.jpg')).rotate(180).jpeg().toBuffer());
      const faces = await d.detect(flipped);
      for (const f of faces) assert.equal(implausibleFace(f), undefined);
    } finally {
      await d.release();
    }
  });
});
