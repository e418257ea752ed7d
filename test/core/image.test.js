'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const sharp = require('sharp');
const { decodeImage, ImageInputError, cropGrey, letterboxTensor } = require('../../dist/core/image/image');
const { FIXTURES } = require('../support/paths');

const astronaut = path.join(FIXTURES, 'astronaut.png');

/** A PNG whose header claims width x height (a decompression-bomb stand-in that costs nothing to make). */
function pngClaiming(width, height, png) {
  const out = Buffer.from(png);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29); // IHDR chunk type + data
  return out;
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('image decoding', () => {
  let png;
  before(async () => {
    png = await sharp(astronaut).resize(128, 96).png().toBuffer();
  });

  for (const format of ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif']) {
    it(`decodes ${format} into packed RGB`, async () => {
      const buf = await sharp(png).toFormat(format).toBuffer();
      const img = await decodeImage(buf);
      assert.equal(img.width, 128);
      assert.equal(img.height, 96);
      assert.equal(img.data.length, 128 * 96 * 3);
    });
  }

  it('decodes a data URL', async () => {
    const img = await decodeImage(`data:image/png;base64,${png.toString('base64')}`);
    assert.equal(img.width, 128);
  });

  it('takes raw grey, RGB and RGBA pixels', async () => {
    const grey = await decodeImage({ data: new Uint8Array(6).fill(7), width: 3, height: 2, channels: 1 });
    assert.deepEqual([...grey.data.subarray(0, 3)], [7, 7, 7]);
    const rgba = await decodeImage({ data: Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]), width: 2, height: 1, channels: 4 });
    assert.deepEqual([...rgba.data], [1, 2, 3, 4, 5, 6]);
    const rgb = await decodeImage({ data: Buffer.from([9, 8, 7]), width: 1, height: 1, channels: 3 });
    assert.deepEqual([...rgb.data], [9, 8, 7]);
  });

  it('honours EXIF orientation', async () => {
    const rotated = await sharp(png).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(rotated);
    assert.equal(img.width, 96);
    assert.equal(img.height, 128);
  });

  const bad = [
    ['an empty buffer', Buffer.alloc(0), /empty/],
    ['text bytes', Buffer.from('hello, this is not an image'), /not a decodable image/],
    ['a number', 42, /expected an image Buffer.*got number/],
    ['null', null, /got null/],
    ['a plain object', { foo: 1 }, /got object/],
    ['a string that is not a data URL', '/tmp/frame.jpg', /data URL/],
    ['raw pixels of the wrong length', { data: new Uint8Array(5), width: 2, height: 2, channels: 3 }, /needs 12/],
    ['raw pixels with 2 channels', { data: new Uint8Array(8), width: 2, height: 2, channels: 2 }, /channels/],
    ['raw pixels with a zero size', { data: new Uint8Array(0), width: 0, height: 2, channels: 3 }, /invalid size/],
  ];
  for (const [what, input, re] of bad) {
    it(`rejects ${what} with a clear ImageInputError`, async () => {
      await assert.rejects(decodeImage(input), (e) => e instanceof ImageInputError && re.test(e.message));
    });
  }

  it('rejects a truncated JPEG', async () => {
    const jpeg = await sharp(astronaut).jpeg().toBuffer();
    await assert.rejects(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))), ImageInputError);
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    const huge = pngClaiming(
      20000,
      20000,
      await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
    );
    await assert.rejects(decodeImage(huge), /20000x20000 .* over the limit/);
    await assert.rejects(decodeImage(png, { maxPixels: 1000 }), /over the limit of 1000/);
  });
});

describe('letterbox and crops', () => {
  it('letterboxes a wide image centred, with the bars at -1', async () => {
    const img = { data: Buffer.alloc(200 * 100 * 3, 255), width: 200, height: 100 };
    const { tensor, box } = await letterboxTensor(img, 128);
    assert.deepEqual(box, { size: 128, innerWidth: 128, innerHeight: 64, padX: 0, padY: 32 });
    assert.equal(tensor[0], -1); // top bar
    assert.ok(Math.abs(tensor[64 * 128 + 64] - 1) < 1e-6); // inside: white -> 1
  });

  it('crops past the border by replicating the edge and resizes to grey', async () => {
    const data = Buffer.alloc(10 * 10 * 3);
    for (let i = 0; i < 100; i++) data.fill(i < 50 ? 0 : 200, i * 3, i * 3 + 3); // top half black, bottom 200
    const crop = await cropGrey({ data, width: 10, height: 10 }, { x: -5, y: 5, width: 10, height: 10 }, 4);
    assert.equal(crop.length, 16);
    assert.ok(
      crop.every((v) => Math.abs(v - 200) <= 1),
      `${[...crop]}`,
    );
    assert.throws(() => cropGrey({ data, width: 10, height: 10 }, { x: 20, y: 20, width: 5, height: 5 }, 4), /outside/);
  });
});
