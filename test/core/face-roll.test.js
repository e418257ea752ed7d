'use strict';
/** Levelling tilted faces (src/core/classification/face-roll.ts) and what it does to a tilted photo's label. */
const assert = require('node:assert/strict');
const path = require('node:path');
const sharp = require('sharp');
const { FaceDetector, ExpressionClassifier, decodeImage } = require('../../dist/core');
const { rollDegrees, levellingDegrees, LEVEL_BEYOND_DEGREES } = require('../../dist/core/classification/face-roll');
const { FIXTURES } = require('../support/paths');
const { faceCrop } = require('../../dist/core/classification/expression-classifier');
const { cropGrey } = require('../../dist/core/image/image');

/** A face whose eyes are 40 px apart with the eye line at `deg` degrees (image coordinates, y down). */
const eyes = (deg) => {
  const a = (deg * Math.PI) / 180;
  return {
    keypoints: [
      { name: 'right_eye', x: 100, y: 100 },
      { name: 'left_eye', x: 100 + 40 * Math.cos(a), y: 100 + 40 * Math.sin(a) },
    ],
  };
};

describe('face roll', () => {
  it("reads the eye line, positive when the subject's left eye is lower", () => {
    assert.ok(Math.abs(rollDegrees(eyes(0))) < 1e-9);
    assert.ok(Math.abs(rollDegrees(eyes(30)) - 30) < 1e-9);
    assert.ok(Math.abs(rollDegrees(eyes(-25)) + 25) < 1e-9);
    assert.equal(rollDegrees({ keypoints: [] }), undefined);
    for (const keypoints of ['eyes', 42, {}, [null, 7, { name: 'left_eye' }]]) assert.equal(rollDegrees({ keypoints }), undefined);
    for (const bad of [NaN, Infinity, '12', undefined, null]) {
      const f = eyes(40);
      f.keypoints[1].y = bad;
      assert.equal(rollDegrees(f), undefined, `left eye y ${String(bad)}`);
    }
    assert.equal(
      rollDegrees({
        keypoints: [
          { name: 'right_eye', x: 5, y: 5 },
          { name: 'left_eye', x: 5, y: 5 },
        ],
      }),
      undefined,
    );
    assert.equal(rollDegrees({}), undefined);
  });

  it('turns back only the tilt beyond the threshold, and leaves upright, unknown and upside-down faces alone', () => {
    assert.equal(LEVEL_BEYOND_DEGREES, 16);
    assert.equal(levellingDegrees(eyes(10)), 0);
    assert.equal(levellingDegrees(eyes(-16)), 0);
    assert.ok(Math.abs(levellingDegrees(eyes(40)) - 24) < 1e-9);
    assert.ok(Math.abs(levellingDegrees(eyes(-40)) + 24) < 1e-9);
    assert.ok(Math.abs(levellingDegrees(eyes(40), 0) - 40) < 1e-9);
    assert.equal(levellingDegrees(eyes(40), Infinity), 0);
    assert.equal(levellingDegrees(eyes(150)), 0);
    assert.equal(levellingDegrees({}), 0);
  });

  describe('in the classifier', function () {
    this.timeout(60000);
    let detector;
    let levelled;
    let asIs;
    before(async () => {
      [detector, levelled, asIs] = await Promise.all([
        FaceDetector.create({ model: 'full' }),
        ExpressionClassifier.create(),
        ExpressionClassifier.create({ levelBeyond: Infinity }),
      ]);
    });
    after(() => Promise.all([detector.release(), levelled.release(), asIs.release()]));

    const photo = async (deg) => {
      const jpeg = await sharp(path.join(FIXTURES, 'astronaut-640x480.jpg')).rotate(deg, { background: '#808080' }).jpeg().toBuffer();
      const img = await decodeImage(jpeg);
      const [face] = await detector.detect(img);
      return { img, face };
    };
    const distance = (a, b) => Object.keys(a).reduce((s, k) => s + Math.abs(a[k] - b[k]), 0);

    it('an upright face is classified exactly as without levelling', async () => {
      const { img, face } = await photo(0);
      assert.ok(Math.abs(rollDegrees(face)) < LEVEL_BEYOND_DEGREES);
      assert.deepEqual(await levelled.classifyFaces(img, [face]), await asIs.classifyFaces(img, [face]));
    });

    it('a face tilted by 40 degrees either way reads closer to the upright face when levelled', async () => {
      const upright = await photo(0);
      const [ref] = await asIs.classifyFaces(upright.img, [upright.face]);
      for (const deg of [40, -40]) {
        const { img, face } = await photo(deg);
        assert.ok(Math.abs(rollDegrees(face) - deg) < 8, `roll ${rollDegrees(face)} for a photo turned ${deg} degrees`);
        const [l] = await levelled.classifyFaces(img, [face]);
        const [a] = await asIs.classifyFaces(img, [face]);
        assert.ok(
          distance(l.probabilities, ref.probabilities) < distance(a.probabilities, ref.probabilities),
          `${deg}: levelled ${JSON.stringify(l.probabilities)}, as is ${JSON.stringify(a.probabilities)}, upright ${JSON.stringify(ref.probabilities)}`,
        );
      }
    });

    it('faces of one frame: the upright ones in one run, a tilted one in its own, each answer as alone', async () => {
      const upright = await photo(0);
      const tilted = await photo(40);
      const cropOf = ({ img, face }) => cropGrey(img, faceCrop(face.box, levelled.manifest.crop), 48);
      const c0 = cropOf(upright);
      const c1 = cropOf(tilted);
      const c2 = c0.slice().reverse(); // another upright crop, upside down: a different answer
      const both = await levelled.classifyCrops([c0, c1, c2], [0, 24, 0]);
      const alone = [];
      for (const [c, d] of [
        [c0, 0],
        [c1, 24],
        [c2, 0],
      ])
        alone.push((await levelled.classifyCrops([c], [d]))[0]);
      assert.deepEqual(both, alone);
      assert.notDeepEqual(both[1].probabilities, (await levelled.classifyCrops([c1]))[0].probabilities, 'the turn changed nothing');
    });

    it('refuses turns that are not a finite number per crop', async () => {
      const crop = new Uint8Array(48 * 48).fill(100);
      await assert.rejects(levelled.classifyCrops([crop], [NaN]), /degrees must give a finite number for each of the 1 crops/);
      await assert.rejects(levelled.classifyCrops([crop, crop], [0]), /for each of the 2 crops/);
    });

    it('refuses a negative threshold', async () => {
      await assert.rejects(ExpressionClassifier.create({ levelBeyond: -1 }), /levelBeyond must be a number of degrees >= 0/);
    });
  });
});
