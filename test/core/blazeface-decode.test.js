'use strict';
const assert = require('node:assert/strict');
const { generateAnchors } = require('../../dist/core/detection/ssd-anchors');
const { decodeDetections, weightedNms, iou } = require('../../dist/core/detection/blazeface-decode');
const { BLAZEFACE } = require('../../dist/core/detection/face-detector');

describe('SSD anchors', () => {
  it('short range: 16x16x2 + 8x8x6 = 896 anchors, in (row, column, anchor) order', () => {
    const a = generateAnchors(BLAZEFACE.short.anchors);
    assert.equal(a.length, 896);
    assert.deepEqual(a[0], { x: 0.5 / 16, y: 0.5 / 16 });
    assert.deepEqual(a[1], a[0]); // two anchors per cell on the stride-8 map
    assert.deepEqual(a[2], { x: 1.5 / 16, y: 0.5 / 16 });
    assert.deepEqual(a[512], { x: 0.5 / 8, y: 0.5 / 8 });
    assert.deepEqual(a[517], a[512]); // six per cell on the stride-16 map
    assert.deepEqual(a[518], { x: 1.5 / 8, y: 0.5 / 8 });
    assert.deepEqual(a[895], { x: 7.5 / 8, y: 7.5 / 8 });
  });

  it('full range: 48x48x1 = 2304 anchors', () => {
    const a = generateAnchors(BLAZEFACE.full.anchors);
    assert.equal(a.length, 2304);
    assert.deepEqual(a[49], { x: 1.5 / 48, y: 1.5 / 48 });
  });
});

describe('BlazeFace decoding', () => {
  const anchors = [
    { x: 0.25, y: 0.25 },
    { x: 0.75, y: 0.5 },
  ];
  const reg = new Float32Array(32);
  // anchor 1: centre offset (+12.8, -6.4) px of 128, size 32x64 px, right eye at offset (+6.4, 0)
  reg.set([12.8, -6.4, 32, 64, 6.4, 0], 16);
  it('decodes box, keypoints and sigmoid score relative to the anchor', () => {
    const dets = decodeDetections(reg, new Float32Array([-5, 2]), anchors, 128, 0.5);
    assert.equal(dets.length, 1);
    const d = dets[0];
    assert.ok(Math.abs(d.score - 1 / (1 + Math.exp(-2))) < 1e-6);
    assert.ok(Math.abs(d.box.x - (0.85 - 0.125)) < 1e-6);
    assert.ok(Math.abs(d.box.y - (0.45 - 0.25)) < 1e-6);
    assert.ok(Math.abs(d.box.width - 0.25) < 1e-6 && Math.abs(d.box.height - 0.5) < 1e-6);
    assert.equal(d.keypoints[0].name, 'right_eye');
    assert.ok(Math.abs(d.keypoints[0].x - 0.8) < 1e-6 && Math.abs(d.keypoints[0].y - 0.5) < 1e-6);
    assert.equal(d.keypoints.length, 6);
  });

  it('clips extreme logits instead of overflowing and honours the min score', () => {
    const dets = decodeDetections(reg, new Float32Array([1e9, -1e9]), anchors, 128, 0.5);
    assert.equal(dets.length, 0); // anchor 0 has a zero-size box: dropped; anchor 1 scores 0
    assert.equal(decodeDetections(reg, new Float32Array([0, 0.1]), anchors, 128, 0.6).length, 0);
  });

  it('rejects outputs that do not match the anchors', () => {
    assert.throws(() => decodeDetections(new Float32Array(16), new Float32Array(2), anchors, 128, 0.5), /anchors/);
  });
});

describe('weighted non-max suppression', () => {
  const det = (x, y, s, w = 0.2) => ({
    box: { x, y, width: w, height: w },
    score: s,
    keypoints: [{ name: 'nose_tip', x: x + w / 2, y: y + w / 2 }],
  });
  it('merges overlapping boxes into a score-weighted mean and keeps the best score', () => {
    const out = weightedNms([det(0.1, 0.1, 0.9), det(0.12, 0.1, 0.6), det(0.6, 0.6, 0.7)], 0.3);
    assert.equal(out.length, 2);
    assert.equal(out[0].score, 0.9);
    assert.ok(Math.abs(out[0].box.x - (0.1 * 0.9 + 0.12 * 0.6) / 1.5) < 1e-9);
    assert.ok(Math.abs(out[0].keypoints[0].x - (0.2 * 0.9 + 0.22 * 0.6) / 1.5) < 1e-9);
    assert.deepEqual(out[1].box, det(0.6, 0.6, 0.7).box);
  });

  it('keeps boxes that overlap less than the threshold apart', () => {
    const a = det(0.1, 0.1, 0.9);
    const b = det(0.25, 0.1, 0.8); // IoU = 0.05*0.2 / (0.08 - 0.01) ~ 0.14
    assert.ok(iou(a.box, b.box) < 0.3);
    assert.equal(weightedNms([a, b], 0.3).length, 2);
    assert.equal(weightedNms([], 0.3).length, 0);
  });
});
