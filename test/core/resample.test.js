'use strict';
/**
 * The JavaScript letterbox and face crop (src/core/resample.ts) against what they replace and what
 * training saw: sharp's greyscale + linear resize for reductions (the crop path before the change; libvips' fixed-point
 * weights leave differences of up to two grey levels), and
 * PyTorch's bilinear resize (align_corners=False, training's) for enlargements of small faces.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const sharp = require('sharp');
const {
  cropGrey,
  cropGreyInJs,
  cropPlan,
  letterbox,
  letterboxInJs,
  linearToSrgbByte,
  srgbByteOfLinear,
} = require('../../dist/core/image/resample');
const { KERNELS_FILE, MAX_KERNEL_MEMORY, resampleKernels } = require('../../dist/core/image/resample-wasm');
const { decodeImage } = require('../../dist/core/image/image');
const { FIXTURES } = require('../support/paths');

const PYTHON = '/usr/bin/python3';

/** Today's-before crop: extract, extend by copy, greyscale, resize linear (sharp). */
async function sharpCrop(img, { left, top, width, height }, size) {
  const ix0 = Math.max(0, left);
  const iy0 = Math.max(0, top);
  const ix1 = Math.min(img.width, left + width);
  const iy1 = Math.min(img.height, top + height);
  let p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).extract({
    left: ix0,
    top: iy0,
    width: ix1 - ix0,
    height: iy1 - iy0,
  });
  const ext = { left: ix0 - left, top: iy0 - top, right: left + width - ix1, bottom: top + height - iy1 };
  if (ext.left || ext.top || ext.right || ext.bottom) {
    const part = await p
      .extend({ ...ext, extendWith: 'copy' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    p = sharp(part.data, { raw: { width: part.info.width, height: part.info.height, channels: 3 } });
  }
  const buf = await p.greyscale().resize(size, size, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  return buf.length === size * size ? buf : Buffer.from(buf.filter((_, i) => i % (buf.length / (size * size)) === 0));
}

function diff(a, b) {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

describe('resampling (crop and letterbox in JavaScript)', () => {
  let photo;
  before(async () => {
    photo = await decodeImage(fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg')));
  });

  for (const side of [60, 96, 150, 200, 300, 420]) {
    it(`a ${side} px crop reduced to 48 equals sharp's within two grey levels`, async () => {
      const rect = { left: 210, top: 40, width: side, height: side };
      const d = diff(cropGrey(photo, rect, 48), await sharpCrop(photo, rect, 48));
      assert.ok(d.max <= 2 && d.mean < 1, `mean ${d.mean.toFixed(3)}, max ${d.max}`);
    });
  }

  it("a crop past the frame repeats the edge, as sharp's extend did", async () => {
    const rect = { left: 560, top: -40, width: 130, height: 130 };
    const d = diff(cropGrey(photo, rect, 48), await sharpCrop(photo, rect, 48));
    assert.ok(d.max <= 2 && d.mean < 1, `mean ${d.mean.toFixed(3)}, max ${d.max}`);
  });

  it("the linear-to-sRGB table (built by bisection) holds every entry's own rounding", () => {
    const table = linearToSrgbByte();
    for (let i = 0; i < 65536; i++)
      if (table[i] !== srgbByteOfLinear(i)) assert.fail(`entry ${i}: ${table[i]}, not ${srgbByteOfLinear(i)}`);
    assert.deepEqual([...table.subarray(65536)], [255, 255, 255, 255], 'past the end (rounding) clamps to white');
  });

  it('grey pixels stay themselves (the linear-light round trip is exact on grey)', () => {
    const data = Buffer.alloc(256 * 3);
    for (let v = 0; v < 256; v++) data.fill(v, v * 3, v * 3 + 3);
    const out = cropGrey({ data, width: 256, height: 1 }, { left: 0, top: 0, width: 256, height: 1 }, 1);
    assert.equal(out.length, 1);
    const row = cropGrey(
      { data: Buffer.concat(Array(256).fill(data)), width: 256, height: 256 },
      { left: 0, top: 0, width: 256, height: 256 },
      256,
    );
    for (let v = 0; v < 256; v++) assert.equal(row[v], v);
  });

  it("a small face enlarged to 48 equals PyTorch's bilinear resize (align_corners=False), as in training", function () {
    if (!fs.existsSync(PYTHON) || spawnFails(`import torch`)) {
      console.log("      (skipped: Debian's python3-torch is not installed; .ci/run installs it)");
      return this.skip();
    }
    const side = 31;
    const grey = new Uint8Array(side * side);
    for (let i = 0; i < grey.length; i++) grey[i] = (i * 37 + ((i / side) | 0) * 11) % 256;
    const rgb = Buffer.alloc(grey.length * 3);
    grey.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
    const ours = cropGrey({ data: rgb, width: side, height: side }, { left: 0, top: 0, width: side, height: side }, 48);
    const script = [
      'import sys, torch, torch.nn.functional as F',
      `x = torch.tensor(list(sys.stdin.buffer.read()), dtype=torch.float32).view(1, 1, ${side}, ${side})`,
      'y = F.interpolate(x, size=(48, 48), mode="bilinear", align_corners=False)',
      'sys.stdout.buffer.write(bytes(y.round().clamp(0, 255).to(torch.uint8).flatten().tolist()))',
    ].join('\n');
    const theirs = execFileSync(PYTHON, ['-c', script], { input: Buffer.from(grey) });
    const d = diff(ours, theirs);
    assert.ok(d.max <= 1, `mean ${d.mean.toFixed(3)}, max ${d.max}`);
  });

  it('letterboxes by a box shrink and bilinear sampling at pixel centres', () => {
    // A horizontal ramp 0, 2, 4, … over 128 px halved to 64: each output is the mean of its two sources.
    const w = 128;
    const data = Buffer.alloc(w * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < w; x++) data.fill(2 * x, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const { tensor, box } = letterbox({ data, width: w, height: 2 }, 64);
    assert.deepEqual(box, { size: 64, innerWidth: 64, innerHeight: 1, padX: 0, padY: 31 });
    for (let x = 0; x < 64; x++) {
      const expected = (4 * x + 1) / 127.5 - 1;
      assert.ok(Math.abs(tensor[31 * 64 + x] - expected) < 1e-5, `x=${x}: ${tensor[31 * 64 + x]} vs ${expected}`);
    }
    assert.equal(tensor[0], -1);
  });

  it('a frame at most twice the square is sampled bilinearly, without a box shrink', () => {
    // 3 px -> 2 px: centres at source 0.25 and 1.75.
    const data = Buffer.from([0, 0, 0, 100, 100, 100, 200, 200, 200]);
    const { tensor } = letterbox({ data, width: 3, height: 1 }, 2);
    const row = [...tensor.subarray(0, 2)].map((v) => Math.round((v + 1) * 127.5 * 1000) / 1000);
    assert.deepEqual(row, [25, 175]);
  });
});

/** A frame of seeded noise over a gradient: every byte differs from its neighbours, as in a photo's detail. */
function noiseFrame(width, height, seed) {
  const data = new Uint8Array(width * height * 3);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = ((x >>> 0) % 96) + (((i / 3) % width) * 128) / width + ((i / (3 * width)) * 32) / height;
  }
  return { data, width, height };
}

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('resampling in WebAssembly (resample-kernels.wat) against the JavaScript', () => {
  it('the built kernels load on this machine (the product ships them in dist/)', () => {
    assert.ok(fs.existsSync(KERNELS_FILE), KERNELS_FILE);
    assert.ok(resampleKernels(), 'WebAssembly SIMD kernels did not load');
  });

  // Frames that take every path: no box shrink (f 1), the common factors 2 and 3, ragged last blocks,
  // a tall frame, 4K (f 20: past the 16-bit block sums), a frame far wider than high.
  const FRAMES = [
    [97, 61],
    [300, 200],
    [640, 480],
    [641, 479],
    [1280, 720],
    [1000, 3000],
    [3840, 2160],
    [5000, 300],
  ];
  for (const [w, h] of FRAMES) {
    it(`letterboxes ${w}x${h} as the JavaScript does, to float rounding`, () => {
      const img = noiseFrame(w, h, w * 7 + h);
      for (const size of [192, 128]) {
        const ours = letterbox(img, size);
        const js = letterboxInJs(img, size);
        assert.deepEqual(ours.box, js.box);
        assert.equal(ours.tensor.length, js.tensor.length);
        const d = maxDiff(ours.tensor, js.tensor);
        assert.ok(d < 1e-6, `${size}: max difference ${d}`);
      }
    });
  }

  it("frames of changing sizes in turn: each letterbox is its own frame's (memory and tables follow)", () => {
    const frames = [noiseFrame(640, 480, 1), noiseFrame(1920, 1080, 2), noiseFrame(320, 240, 3), noiseFrame(640, 480, 4)];
    const expected = frames.map((f) => letterboxInJs(f, 192).tensor);
    for (let round = 0; round < 2; round++) {
      frames.forEach((f, i) => assert.ok(maxDiff(letterbox(f, 192).tensor, expected[i]) < 1e-6, `frame ${i}, round ${round}`));
    }
  });

  it("a letterbox after a crop that filled the kernels' memory is still its frame's", () => {
    const img = noiseFrame(640, 480, 31);
    const expected = letterboxInJs(img, 192).tensor;
    assert.ok(maxDiff(letterbox(img, 192).tensor, expected) < 1e-6);
    cropGrey(img, { left: -100, top: -100, width: 840, height: 680 }, 64); // a crop larger than the frame
    assert.ok(maxDiff(letterbox(img, 192).tensor, expected) < 1e-6);
  });

  it('a frame past the memory cap takes the JavaScript path, and the kernels keep no more than the cap', () => {
    const huge = noiseFrame(4800, 3200, 21); // 46 MB of RGB
    const ours = letterbox(huge, 192);
    assert.deepEqual([...ours.tensor], [...letterboxInJs(huge, 192).tensor]); // the JavaScript's own floats
    const face = { left: 2000, top: 1000, width: 900, height: 900 }; // 2.4 MB of it: the kernels' crop
    assert.deepEqual(Buffer.from(cropGrey(huge, face, 64)), Buffer.from(cropGreyInJs(huge, cropPlan(face, 64))));
    assert.ok(resampleKernels().memory.buffer.byteLength <= MAX_KERNEL_MEMORY);
    const small = noiseFrame(640, 480, 22);
    assert.ok(maxDiff(letterbox(small, 192).tensor, letterboxInJs(small, 192).tensor) < 1e-6, 'the next frame runs as before');
  });

  it('writes into a spare tensor, bars included, and only into one of the right length', () => {
    const img = noiseFrame(640, 360, 9);
    const fresh = letterbox(img, 128).tensor;
    const spare = new Float32Array(3 * 128 * 128).fill(7);
    const { tensor } = letterbox(img, 128, spare);
    assert.equal(tensor, spare);
    assert.deepEqual([...spare], [...fresh]);
    assert.equal(spare[0], -1, 'the bar above the frame');
    const wrong = new Float32Array(10).fill(7);
    const other = letterbox(img, 128, wrong).tensor;
    assert.notEqual(other, wrong);
    assert.deepEqual([...wrong], new Array(10).fill(7));
  });

  it('crops faces byte for byte as the JavaScript does: off the frame, tiny, large (box shrink), 48 and 64 px', () => {
    const img = noiseFrame(640, 480, 5);
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let compared = 0;
    for (let t = 0; t < 150; t++) {
      const side = Math.max(1, Math.round(rnd() * 620));
      const width = Math.max(1, Math.round(side * (0.7 + rnd() * 0.6)));
      const rect = { left: Math.round(rnd() * 760 - 60 - side / 2), top: Math.round(rnd() * 580 - 50 - side / 2), width, height: side };
      for (const size of [64, 48]) {
        const ours = cropGrey(img, rect, size);
        const js = cropGreyInJs(img, cropPlan(rect, size));
        assert.deepEqual(Buffer.from(ours), Buffer.from(js), `${JSON.stringify(rect)} at ${size}`);
        compared++;
      }
    }
    assert.equal(compared, 300);
  });
});

function spawnFails(code) {
  try {
    execFileSync(PYTHON, ['-c', code], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}
