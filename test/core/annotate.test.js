'use strict';
/**
 * The annotated frame's labels are readable wherever the face is: the contrast of label text against what
 * is behind it, measured on the JPEG we make (WCAG's ratio; 4.5:1 is its minimum for normal text), over
 * backgrounds where a coloured label alone vanished (white wall, the label's own colour, dark hair).
 */
const assert = require('node:assert/strict');
const sharp = require('sharp');
const { annotateJpeg } = require('../../dist/core/image/annotate');
const { decodeImage } = require('../../dist/core/image/image');

/** WCAG relative luminance of an sRGB pixel. */
function luminance(r, g, b) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const BACKGROUNDS = {
  'white wall': [255, 255, 255],
  'happy green (the label colour)': [46, 204, 64],
  'surprise yellow': [255, 220, 0],
  'dark hair': [30, 25, 20],
  'mid grey': [128, 128, 128],
};

describe('annotated frame labels', () => {
  for (const [name, [r, g, b]] of Object.entries(BACKGROUNDS)) {
    it(`label text against its backing on ${name}: contrast >= 4.5:1`, async () => {
      const frame = await decodeImage(
        await sharp({ create: { width: 640, height: 480, channels: 3, background: { r, g, b } } })
          .png()
          .toBuffer(),
      );
      const box = { x: 200, y: 200, width: 120, height: 120 };
      const jpeg = await annotateJpeg(frame, [{ box, expression: 'happy', confidence: 0.92 }], 95);
      const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      // The label sits on a band right above the box: sample its inside (clear of the band's border).
      const lum = [];
      for (let y = box.y - 30; y < box.y - 6; y++) {
        for (let x = box.x + 6; x < box.x + 100; x++) {
          const i = (y * info.width + x) * 3;
          lum.push(luminance(data[i], data[i + 1], data[i + 2]));
        }
      }
      lum.sort((p, q) => p - q);
      const text = lum[Math.floor(lum.length * 0.97)]; // the glyphs' brightest pixels
      const back = lum[Math.floor(lum.length * 0.2)]; // the band between them
      const ratio = (text + 0.05) / (back + 0.05);
      assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(1)}:1`);
      assert.ok(lum.filter((l) => l > 0.5).length > 50, 'there is label text in the band');
    });
  }
});
