'use strict';
/**
 * Plain JPEGs are decoded by libjpeg-turbo from the native runtime package (turbo-jpeg.ts), the rest by sharp
 * as before. The header is read in JavaScript first (jpeg-header.ts): it decides which decoder runs and
 * bounds the decoder's output, so it is tested on the files that must not take the fast path.
 */
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { decodeImage, ImageInputError } = require('../../dist/core/image/image');
const { readJpegHeader, isPlainJpeg } = require('../../dist/core/image/jpeg-header');
const { turboJpeg } = require('../../dist/core/image/turbo-jpeg');
const { ROOT, FIXTURES } = require('../support/paths');
const { prng } = require('../support/prng');

const FRAME = path.join(FIXTURES, 'astronaut-640x480.jpg');

/** sharp's decode of the same bytes, as decodeImage made it before (EXIF orientation, sRGB, no alpha). */
const bySharp = (bytes) => sharp(bytes).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });

function difference(a, b) {
  assert.equal(a.length, b.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

/** A JPEG's bytes with its (first) frame header's height and width replaced. */
function withFrameSize(jpeg, width, height) {
  const out = Buffer.from(jpeg);
  for (let at = 2; at < out.length;) {
    const marker = out[at + 1];
    const length = out.readUInt16BE(at + 2);
    if (marker === 0xc0 || marker === 0xc2) {
      out.writeUInt16BE(height, at + 5);
      out.writeUInt16BE(width, at + 7);
      return out;
    }
    at += 2 + length;
  }
  throw new Error('no frame header');
}

/** A JPEG with a second copy of its frame header (which libjpeg refuses). */
function withTwoFrameHeaders(jpeg) {
  for (let at = 2; at < jpeg.length;) {
    const length = jpeg.readUInt16BE(at + 2);
    if (jpeg[at + 1] === 0xc0) {
      const sof = jpeg.subarray(at, at + 2 + length);
      return Buffer.concat([jpeg.subarray(0, at), sof, sof, jpeg.subarray(at + 2 + length)]);
    }
    at += 2 + length;
  }
  throw new Error('no frame header');
}

/** A JPEG with one more segment (marker 0xff `marker`, then `body`) right after its start. */
function withSegment(jpeg, marker, body) {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, body, jpeg.subarray(2)]);
}

describe('JPEG headers read before decoding', () => {
  let plain;
  before(async () => {
    plain = await sharp(FRAME).resize(160, 120).jpeg().toBuffer();
  });

  it('reads the size, the components and the kind of frame', async () => {
    assert.deepEqual(readJpegHeader(plain), {
      width: 160,
      height: 120,
      components: 3,
      precision: 8,
      frameMarker: 0xc0,
      orientation: 1,
      iccProfile: false,
      adobe: false,
    });
    assert.equal(isPlainJpeg(readJpegHeader(plain)), true);
    const progressive = readJpegHeader(await sharp(plain).jpeg({ progressive: true }).toBuffer());
    assert.equal(progressive.frameMarker, 0xc2);
    assert.equal(isPlainJpeg(progressive), true);
    assert.equal(readJpegHeader(await sharp(plain).toColourspace('b-w').jpeg().toBuffer()).components, 1);
    // Photoshop's Adobe segment on a YCbCr file (transform 1): libjpeg reads it in either decoder, so it is plain.
    const adobe = readJpegHeader(withSegment(plain, 0xee, Buffer.from([...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 1])));
    assert.equal(adobe.adobe, true);
    assert.equal(isPlainJpeg(adobe), true);
  });

  it('sends rotated, colour-managed and CMYK files to sharp', async () => {
    for (const orientation of [3, 6, 8]) {
      const h = readJpegHeader(await sharp(plain).jpeg().withMetadata({ orientation }).toBuffer());
      assert.equal(h.orientation, orientation);
      assert.equal(isPlainJpeg(h), false);
    }
    assert.equal(readJpegHeader(await sharp(plain).jpeg().withMetadata({ orientation: 1 }).toBuffer()).orientation, 1);
    const icc = readJpegHeader(await sharp(plain).withIccProfile('p3').jpeg().toBuffer());
    assert.equal(icc.iccProfile, true);
    assert.equal(isPlainJpeg(icc), false);
    const cmyk = readJpegHeader(await sharp(plain).toColourspace('cmyk').jpeg().toBuffer());
    assert.equal(cmyk.components, 4);
    assert.equal(isPlainJpeg(cmyk), false);
  });

  it('vouches for nothing odd: not a JPEG, cut short, two frame headers, a zero height', () => {
    assert.equal(readJpegHeader(Buffer.from('not a jpeg at all')), undefined);
    assert.equal(readJpegHeader(plain.subarray(0, 100)), undefined); // ends before the first scan
    assert.equal(readJpegHeader(withTwoFrameHeaders(plain)), undefined);
    assert.equal(readJpegHeader(withFrameSize(plain, 160, 0)), undefined);
  });
});

describe('plain JPEGs decoded by libjpeg-turbo', () => {
  let frame;
  before(async function () {
    // The native package of this platform carries the decoder; where it does not, there is nothing to test.
    if (!(await turboJpeg())) throw new Error('the JPEG decoder of the native runtime package is not in use here');
    frame = fs.readFileSync(FRAME);
  });

  it('gives the pixels sharp gives, to within the fast IDCT', async () => {
    const grey = await sharp(frame).toColourspace('b-w').jpeg({ quality: 80 }).toBuffer();
    const progressive = await sharp(frame).jpeg({ quality: 70, progressive: true }).toBuffer();
    for (const [what, bytes] of [
      ['a camera frame', frame],
      ['a grey JPEG', grey],
      ['a progressive JPEG', progressive],
    ]) {
      const ours = await decodeImage(bytes);
      const theirs = await bySharp(bytes);
      assert.equal(ours.width, theirs.info.width, what);
      assert.equal(ours.height, theirs.info.height, what);
      const d = difference(ours.data, theirs.data);
      assert.ok(d.mean > 0 && d.mean < 1.5 && d.max <= 12, `${what}: mean ${d.mean}, max ${d.max}`); // > 0: not sharp's
    }
  });

  it('leaves rotated files to sharp, which applies the orientation', async () => {
    const rotated = await sharp(frame).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const ours = await decodeImage(rotated);
    const theirs = await bySharp(rotated);
    assert.deepEqual([ours.width, ours.height], [480, 640]);
    assert.equal(Buffer.compare(ours.data, theirs.data), 0);
  });

  it('leaves a truncated JPEG, or bytes that only start like one, to sharp, which says what is wrong', async () => {
    await assert.rejects(
      decodeImage(frame.subarray(0, frame.length >> 1)),
      (e) => e instanceof ImageInputError && /premature end/i.test(e.message),
    );
    const notQuite = Buffer.concat([frame.subarray(0, 2), Buffer.from('not the rest of a JPEG')]);
    await assert.rejects(decodeImage(notQuite), (e) => e instanceof ImageInputError && /not a decodable image/.test(e.message));
  });

  it('refuses a header over the pixel limit before any pixel memory is taken', async () => {
    const claims = withFrameSize(frame, 20000, 20000);
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(decodeImage(claims), /20000x20000 .* over the limit/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 100e6);
    await assert.rejects(decodeImage(frame, { maxPixels: 640 * 480 - 1 }), /over the limit of 307199/);
  });

  it('2,000 mutated JPEGs (seeded): each decoded or refused with an ImageInputError, most through the header check', async () => {
    const seeds = [
      await sharp(frame).resize(192, 144).jpeg({ quality: 80 }).toBuffer(),
      await sharp(frame).resize(160, 120).jpeg({ quality: 60, progressive: true }).toBuffer(),
      await sharp(frame).resize(96, 72).toColourspace('b-w').jpeg().toBuffer(),
    ];
    const r = prng(23);
    let plain = 0;
    let decoded = 0;
    for (let i = 0; i < 2000; i++) {
      const out = Buffer.from(seeds[i % seeds.length]);
      for (let j = 1 + Math.floor(r() * 8); j > 0; j--) {
        // Half the changes in the first 700 bytes: the markers and tables the header check and the decoder trust.
        out[Math.floor(r() * (r() < 0.5 ? Math.min(out.length, 700) : out.length))] = Math.floor(r() * 256);
      }
      const bytes = r() < 0.1 ? out.subarray(0, Math.floor(r() * out.length)) : out;
      const header = readJpegHeader(bytes);
      if (header && isPlainJpeg(header)) plain++;
      try {
        await decodeImage(bytes);
        decoded++;
      } catch (e) {
        assert.ok(e instanceof ImageInputError, `case ${i}: ${e.stack}`);
      }
    }
    assert.ok(plain > 1500, `${plain} of 2000 reached the libjpeg-turbo path`);
    assert.ok(decoded > 500 && decoded < 2000, `${decoded} of 2000 decoded`);
  });

  it('classifies a frame as it did with sharp decoding it', async () => {
    const script = `
      const core = require(${JSON.stringify(path.join(ROOT, 'dist', 'core'))});
      (async () => {
        const [d, c] = await Promise.all([core.FaceDetector.create(), core.ExpressionClassifier.create()]);
        const r = await core.classifyFrame(d, c, require('fs').readFileSync(${JSON.stringify(FRAME)}));
        const turbo = !!(await require(${JSON.stringify(path.join(ROOT, 'dist', 'core', 'image', 'turbo-jpeg'))}).turboJpeg());
        console.log(JSON.stringify({ turbo, faces: r.faces.map((f) => ({ box: f.box, p: f.probabilities })) }));
        await Promise.all([d.release(), c.release()]);
      })();`;
    const run = (decoder) => {
      const env = { ...process.env, LIGHTEXNET_JPEG_DECODER: decoder };
      const out = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      return JSON.parse(out.stdout);
    };
    const [turbo, bySharpOnly] = [run('turbo'), run('sharp')];
    assert.deepEqual([turbo.turbo, bySharpOnly.turbo], [true, false]);
    const [ours, theirs] = [turbo.faces, bySharpOnly.faces];
    assert.equal(ours.length, 1);
    assert.equal(theirs.length, 1);
    for (const k of ['x', 'y', 'width', 'height']) assert.ok(Math.abs(ours[0].box[k] - theirs[0].box[k]) < 2, k);
    for (const [label, p] of Object.entries(theirs[0].p))
      assert.ok(Math.abs(ours[0].p[label] - p) < 0.03, `${label}: ${ours[0].p[label]} vs ${p}`);
  });
});
