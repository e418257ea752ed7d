/**
 * The two resamplings the models need, done on the decoded frame instead of a libvips job each (a sharp
 * job costs ~1.5 ms of scheduling for a few hundred microseconds of work). Both run in WebAssembly SIMD
 * (resample-wasm.ts) where the thread has it; the JavaScript here is the fallback and the reference the
 * kernels are tested against:
 *
 * - the detector's letterbox: an integer box shrink (when the frame is at least twice the square), then
 *   bilinear sampling at pixel centres. Plain bilinear (MediaPipe's CPU image-to-tensor) aliases a 1080p
 *   frame shrunk to 192 px: the boxes of a still face then jitter between frames, and with them the labels
 *   (worst face of bench/label-stability.js, 1 view: 0.60 plain, 0.775 with the box shrink);
 * - the classifier's face crop: a triangle filter widened by the reduction factor (what libvips' "linear"
 *   reduce, i.e. the sharp path this replaces, does), so a 200 px face is averaged down to 64 px the way the
 *   FER2013 faces were, not point-sampled; upscaling is plain bilinear, as training's 48 -> 64 resize.
 *
 * Pixels outside the frame take the nearest edge pixel (edge replication).
 */

import { CropPlan, cropGreyWithKernels, letterboxWithKernels, LetterboxPlan } from './resample-wasm';

/** A decoded frame: packed RGB, 3 bytes a pixel (image.ts's DecodedImage). */
export interface RgbFrame {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Where the scaled frame sits inside the letterboxed square. */
export interface Letterbox {
  size: number;
  innerWidth: number;
  innerHeight: number;
  padX: number;
  padY: number;
}

/**
 * The frame scaled into a size x size square (aspect kept, centred, bars of -1), as a planar float32
 * NCHW tensor with values in [-1, 1], as BlazeFace expects. WebAssembly SIMD where the thread has it
 * (resample-wasm.ts), this module's JavaScript otherwise (they differ by float rounding, < 1e-6). `into`,
 * a tensor of the right length that is free again, is written instead of a new one.
 */
export function letterbox(img: RgbFrame, size: number, into?: Float32Array): { tensor: Float32Array; box: Letterbox } {
  const plan = letterboxPlan(img, size);
  const reuse = into?.length === 3 * size * size ? into : undefined;
  const tensor = letterboxWithKernels(img, plan, reuse) ?? letterboxTensorInJs(img, plan, reuse);
  return { tensor, box: boxOf(plan) };
}

/** A blank VGA frame for warm-ups: a camera's usual size. */
const blankFrame = (): RgbFrame => ({ data: new Uint8Array(640 * 480 * 3), width: 640, height: 480 });

const warmed = new Set<string>();

/**
 * Runs the letterbox once on a blank frame (once per size and thread), so that this thread's first frame does
 * not pay for its first run (~10 ms on a 2-core VM: the kernels' memory grown and first touched, their code
 * compiled). For Node-RED's thread, which makes the first frame's letterbox while a worker opens the models.
 */
export function warmLetterbox(size: number): void {
  if (warmed.has(`letterbox ${size}`)) return;
  warmed.add(`letterbox ${size}`);
  letterbox(blankFrame(), size);
}

/** As warmLetterbox, for the face crop (~10 ms at its first run). */
export function warmCrop(size: number): void {
  if (warmed.has(`crop ${size}`)) return;
  warmed.add(`crop ${size}`);
  cropGrey(blankFrame(), { left: 210, top: 130, width: 220, height: 220 }, size);
}

/** The JavaScript letterbox alone (the fallback; tests hold the kernels to it). */
export function letterboxInJs(img: RgbFrame, size: number): { tensor: Float32Array; box: Letterbox } {
  const plan = letterboxPlan(img, size);
  return { tensor: letterboxTensorInJs(img, plan), box: boxOf(plan) };
}

const boxOf = (p: LetterboxPlan): Letterbox => ({
  size: p.size,
  innerWidth: p.innerWidth,
  innerHeight: p.innerHeight,
  padX: p.padX,
  padY: p.padY,
});

let lastPlan: LetterboxPlan | undefined;
let lastPlanFor = '';

/** The plan for this frame size and square; a camera's frames share one, so the last is kept. */
function letterboxPlan(img: RgbFrame, size: number): LetterboxPlan {
  const key = `${img.width}x${img.height}:${size}`;
  if (lastPlan && key === lastPlanFor) return lastPlan;
  lastPlan = planLetterbox(img, size);
  lastPlanFor = key;
  return lastPlan;
}

function planLetterbox(img: RgbFrame, size: number): LetterboxPlan {
  const scale = size / Math.max(img.width, img.height);
  const innerWidth = Math.max(1, Math.min(size, Math.round(img.width * scale)));
  const innerHeight = Math.max(1, Math.min(size, Math.round(img.height * scale)));
  const f = Math.max(1, Math.floor(Math.min(img.width / innerWidth, img.height / innerHeight)));
  const fromWidth = Math.ceil(img.width / f);
  const fromHeight = Math.ceil(img.height / f);
  return {
    size,
    innerWidth,
    innerHeight,
    padX: Math.floor((size - innerWidth) / 2),
    padY: Math.floor((size - innerHeight) / 2),
    f,
    fromWidth,
    fromHeight,
    // Output centres mapped into the (shrunk) source: (o + 0.5) * (in / out) / f - 0.5.
    xs: bilinearAxis(img.width / f, innerWidth, fromWidth),
    ys: bilinearAxis(img.height / f, innerHeight, fromHeight),
  };
}

function letterboxTensorInJs(img: RgbFrame, plan: LetterboxPlan, into?: Float32Array): Float32Array {
  const { size, innerWidth, innerHeight, padX, padY, f, xs, ys } = plan;
  const plane = size * size;
  const tensor = (into ?? new Float32Array(3 * plane)).fill(-1);
  const from = f > 1 ? boxShrinkRgb(img, f) : img;
  const src = from.data;
  const stride = from.width * 3;
  const g = plane;
  const b = 2 * plane;
  // Per output column, once: byte offsets of the two source pixels and both weights, with the scaling of
  // bytes to 0..2 folded in (as resample-wasm.ts's kernel does, there in f32).
  const k = 1 / 127.5;
  const c0 = new Int32Array(innerWidth);
  const c1 = new Int32Array(innerWidth);
  const wx0 = new Float64Array(innerWidth);
  const wx1 = new Float64Array(innerWidth);
  for (let ox = 0; ox < innerWidth; ox++) {
    c0[ox] = xs.i0[ox] * 3;
    c1[ox] = xs.i1[ox] * 3;
    wx1[ox] = xs.w[ox] * k;
    wx0[ox] = (1 - xs.w[ox]) * k;
  }
  for (let oy = 0; oy < innerHeight; oy++) {
    const r0 = ys.i0[oy] * stride;
    const r1 = ys.i1[oy] * stride;
    const wy = ys.w[oy];
    const vy = 1 - wy;
    let d = (oy + padY) * size + padX;
    for (let ox = 0; ox < innerWidth; ox++, d++) {
      const w00 = wx0[ox] * vy;
      const w01 = wx1[ox] * vy;
      const w10 = wx0[ox] * wy;
      const w11 = wx1[ox] * wy;
      const p00 = r0 + c0[ox];
      const p01 = r0 + c1[ox];
      const p10 = r1 + c0[ox];
      const p11 = r1 + c1[ox];
      tensor[d] = src[p00] * w00 + src[p01] * w01 + src[p10] * w10 + src[p11] * w11 - 1;
      tensor[g + d] = src[p00 + 1] * w00 + src[p01 + 1] * w01 + src[p10 + 1] * w10 + src[p11 + 1] * w11 - 1;
      tensor[b + d] = src[p00 + 2] * w00 + src[p01 + 2] * w01 + src[p10 + 2] * w10 + src[p11 + 2] * w11 - 1;
    }
  }
  return tensor;
}

/** For each output position: the two source indices either side of its centre and the weight of the
 *  second; `inLen` source pixels (may be fractional) span the output, `limit` exist. */
function bilinearAxis(inLen: number, outLen: number, limit: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const w = new Float32Array(outLen);
  const scale = inLen / outLen;
  for (let o = 0; o < outLen; o++) {
    const c = Math.min(limit - 1, Math.max(0, (o + 0.5) * scale - 0.5));
    const f = Math.floor(c);
    i0[o] = f;
    i1[o] = Math.min(limit - 1, f + 1);
    w[o] = c - f;
  }
  return { i0, i1, w };
}

/** The frame averaged over f x f blocks (the last row and column of blocks over the pixels there are). It reads
 *  every byte of the frame, so the common factors 2 and 3 (frames 2-4x the square's side: 640x480 into 192) are unrolled. */
function boxShrinkRgb(img: RgbFrame, f: number): RgbFrame {
  const width = Math.ceil(img.width / f);
  const height = Math.ceil(img.height / f);
  const data = new Uint8Array(width * height * 3);
  const sums = new Uint32Array(width * 3);
  const src = img.data;
  const rowBytes = img.width * 3;
  const full = Math.floor(img.width / f); // blocks of f whole pixels; a narrower last one after them
  const blockBytes = 3 * f;
  for (let by = 0; by < height; by++) {
    sums.fill(0);
    const y0 = by * f;
    const y1 = Math.min(img.height, y0 + f);
    for (let y = y0; y < y1; y++) {
      let s = y * rowBytes;
      let o = 0;
      if (f === 3) {
        for (let bx = 0; bx < full; bx++, s += 9, o += 3) {
          sums[o] += src[s] + src[s + 3] + src[s + 6];
          sums[o + 1] += src[s + 1] + src[s + 4] + src[s + 7];
          sums[o + 2] += src[s + 2] + src[s + 5] + src[s + 8];
        }
      } else if (f === 2) {
        for (let bx = 0; bx < full; bx++, s += 6, o += 3) {
          sums[o] += src[s] + src[s + 3];
          sums[o + 1] += src[s + 1] + src[s + 4];
          sums[o + 2] += src[s + 2] + src[s + 5];
        }
      } else {
        for (let bx = 0; bx < full; bx++, o += 3) {
          let r = 0;
          let g = 0;
          let b = 0;
          for (const end = s + blockBytes; s < end; s += 3) {
            r += src[s];
            g += src[s + 1];
            b += src[s + 2];
          }
          sums[o] += r;
          sums[o + 1] += g;
          sums[o + 2] += b;
        }
      }
      for (const end = (y + 1) * rowBytes; s < end; s += 3) {
        sums[o] += src[s];
        sums[o + 1] += src[s + 1];
        sums[o + 2] += src[s + 2];
      }
    }
    const rows = y1 - y0;
    const last = img.width - (width - 1) * f;
    for (let bx = 0, o = by * width * 3; bx < width; bx++, o += 3) {
      const n = rows * (bx === width - 1 ? last : f);
      data[o] = (sums[bx * 3] + (n >> 1)) / n;
      data[o + 1] = (sums[bx * 3 + 1] + (n >> 1)) / n;
      data[o + 2] = (sums[bx * 3 + 2] + (n >> 1)) / n;
    }
  }
  return { data, width, height };
}

/** Integer source rectangle (may extend past the frame) of a crop. */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The rectangle resized to size x size grey bytes, as sharp's greyscale().resize(kernel linear) made it:
 * luminance in linear light (Rec. 709 weights) re-encoded to sRGB; for reductions of 4x or more an integer
 * box shrink first (libvips' vips_resize with its default gap of 2), then the triangle filter.
 */
export function cropGrey(img: RgbFrame, rect: PixelRect, size: number): Uint8Array {
  const plan = cropPlan(rect, size);
  return cropGreyWithKernels(img, plan, linearTables(), linearToSrgbByte()) ?? cropGreyInJs(img, plan);
}

/** The JavaScript crop alone (the fallback; tests hold the kernels to it). */
export function cropGreyInJs(img: RgbFrame, plan: CropPlan): Uint8Array {
  const { rect, size, fx, fy, sw, sh, xs, ys } = plan;
  const shrunk = boxShrunkGrey(img, rect, fx, fy, sw, sh);
  const across = new Float32Array(sh * size);
  const nx = xs.taps;
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    for (let o = 0, t = 0; o < size; o++) {
      let acc = 0;
      for (let k = 0; k < nx; k++, t++) acc += shrunk[row + xs.index[t]] * xs.weight[t];
      across[y * size + o] = acc;
    }
  }
  const out = new Uint8Array(size * size);
  const ny = ys.taps;
  for (let o = 0; o < size; o++) {
    const t0 = o * ny;
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let k = 0; k < ny; k++) acc += across[ys.index[t0 + k] * size + x] * ys.weight[t0 + k];
      const v = (acc + 0.5) | 0;
      out[o * size + x] = v > 255 ? 255 : v < 0 ? 0 : v;
    }
  }
  return out;
}

/** How a rectangle becomes a size x size crop: the box-shrink factors and the triangle filter's taps. */
export function cropPlan(rect: PixelRect, size: number): CropPlan {
  const fx = Math.max(1, Math.floor(rect.width / size / 2));
  const fy = Math.max(1, Math.floor(rect.height / size / 2));
  const sw = Math.ceil(rect.width / fx);
  const sh = Math.ceil(rect.height / fy);
  return { rect, size, fx, fy, sw, sh, xs: triangleAxis(0, rect.width / fx, size, sw), ys: triangleAxis(0, rect.height / fy, size, sh) };
}

/** Grey of the rectangle averaged over fx x fy blocks (rounded, as libvips' shrink does on bytes); pixels
 *  past the frame repeat its edge. */
function boxShrunkGrey(img: RgbFrame, rect: PixelRect, fx: number, fy: number, sw: number, sh: number): Float32Array {
  const [lr, lg, lb] = linearTables();
  const enc = linearToSrgbByte();
  const src = img.data;
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  // Source column offset (x 3) of each column of the rectangle, clamped into the frame.
  const n = sw * fx;
  const cols = new Int32Array(n);
  for (let i = 0; i < n; i++) cols[i] = Math.min(maxX, Math.max(0, rect.left + Math.min(i, rect.width - 1))) * 3;
  const out = new Float32Array(sw * sh);
  const rowOf = (j: number) => Math.min(maxY, Math.max(0, rect.top + Math.min(j, rect.height - 1))) * img.width * 3;
  if (fx === 1 && fy === 1) {
    for (let j = 0, o = 0; j < sh; j++) {
      const base = rowOf(j);
      for (let i = 0; i < sw; i++, o++) {
        const s = base + cols[i];
        out[o] = enc[lr[src[s]] + lg[src[s + 1]] + lb[src[s + 2]]];
      }
    }
    return out;
  }
  const sums = new Int32Array(sw); // integer sums: exact, as the rounding below needs
  const area = fx * fy;
  for (let j = 0; j < sh; j++) {
    sums.fill(0);
    for (let b = 0; b < fy; b++) {
      const base = rowOf(j * fy + b);
      for (let i = 0, c = 0; i < sw; i++) {
        let acc = 0;
        for (let a = 0; a < fx; a++, c++) {
          const s = base + cols[c];
          acc += enc[lr[src[s]] + lg[src[s + 1]] + lb[src[s + 2]]];
        }
        sums[i] += acc;
      }
    }
    for (let i = 0; i < sw; i++) out[j * sw + i] = Math.round(sums[i] / area);
  }
  return out;
}

export interface TriangleTaps {
  /** Taps per output pixel: output o reads index[o * taps + k] with weight[o * taps + k]. */
  taps: number;
  /** Source index of each tap, clamped into the frame (edge replication). */
  index: Int32Array;
  weight: Float32Array;
}

/**
 * A triangle filter of half-width max(1, len/outLen) over `len` source pixels from `first`, centres at
 * half pixels (torch's align_corners=False); weights normalised, unused taps of weight 0; indices clamped
 * into 0..limit-1 (edge replication).
 */
function triangleAxis(first: number, len: number, outLen: number, limit: number): TriangleTaps {
  const scale = len / outLen;
  const support = Math.max(1, scale);
  const taps = Math.ceil(2 * support) + 1;
  const index = new Int32Array(outLen * taps);
  const weight = new Float32Array(outLen * taps);
  for (let o = 0; o < outLen; o++) {
    const c = first + (o + 0.5) * scale - 0.5;
    const lo = Math.ceil(c - support);
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const i = lo + k;
      const w = Math.max(0, 1 - Math.abs(i - c) / support);
      const at = Math.min(limit - 1, Math.max(0, i));
      index[o * taps + k] = at;
      weight[o * taps + k] = w;
      sum += w;
    }
    for (let k = 0; k < taps; k++) weight[o * taps + k] /= sum;
  }
  return { taps, index, weight };
}

let weighted: [Int32Array, Int32Array, Int32Array] | undefined;
let toByte: Uint8Array | undefined;

/** Each channel's share of linear-light luminance (Rec. 709 weights), in 1/65535 steps, per sRGB byte: the
 *  three looked up and added index linearToSrgbByte(). */
function linearTables(): [Int32Array, Int32Array, Int32Array] {
  if (!weighted) {
    const tables = [0.2126, 0.7152, 0.0722].map((k) => {
      const t = new Int32Array(256);
      for (let i = 0; i < 256; i++) {
        const c = i / 255;
        t[i] = Math.round(k * 65535 * (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      }
      return t;
    });
    weighted = tables as [Int32Array, Int32Array, Int32Array];
  }
  return weighted;
}

/** The sRGB byte of linear light `i` / 65535. */
export function srgbByteOfLinear(i: number): number {
  const y = i / 65535;
  const e = y <= 0.0031308 ? y * 12.92 : 1.055 * y ** (1 / 2.4) - 0.055;
  return Math.round(e * 255);
}

/**
 * Linear light in 1/65535 steps -> sRGB byte (fine enough that the step never changes the rounding by
 * more than one level near black, where the curve is steepest). Indexes past 65535 (rounding) clamp.
 * The table rises in 256 runs: each run's end is found by bisection (~4,400 powers instead of 65,536, ~2 ms
 * instead of ~10 at a cold start, where the first frame's crop builds it), the same bytes (tested).
 */
export function linearToSrgbByte(): Uint8Array {
  if (!toByte) {
    const t = new Uint8Array(65536 + 4).fill(255);
    for (let from = 0; from < 65536;) {
      const b = srgbByteOfLinear(from);
      let lo = from;
      let hi = 65535;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (srgbByteOfLinear(mid) <= b) lo = mid;
        else hi = mid - 1;
      }
      t.fill(b, from, lo + 1);
      from = lo + 1;
    }
    toByte = t;
  }
  return toByte;
}
