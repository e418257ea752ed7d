/**
 * The detector's letterbox and the classifier's face crop run by resample-kernels.wat (WebAssembly SIMD):
 * the letterbox's box shrink reads a whole frame, which JavaScript does a byte at a time. The same sampling
 * as resample.ts's JavaScript: crops and the box shrink byte for byte, the letterbox's bilinear pass in f32
 * where JavaScript works in f64 (tested: < 1e-6 apart). Where the module cannot load (no SIMD, a build
 * without it) resample.ts keeps its JavaScript.
 *
 * One instance per thread (inference workers each load their own); its memory grows to the largest frame
 * seen (up to MAX_KERNEL_MEMORY) and is reused, so a frame costs one copy in and one tensor copy out (into the caller's spare tensor).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Kernels {
  memory: WebAssembly.Memory;
  boxShrink(src: number, width: number, height: number, f: number, acc: number, dst: number): void;
  fillMinusOne(out: number, count: number): void;
  cropGrey(
    luts: number,
    src: number,
    cols: number,
    rowsTable: number,
    sw: number,
    sh: number,
    fx: number,
    fy: number,
    xIndex: number,
    xWeight: number,
    nx: number,
    yIndex: number,
    yWeight: number,
    ny: number,
    size: number,
    shrunk: number,
    across: number,
    out: number,
  ): void;
  bilinear(
    src: number,
    stride: number,
    cols: number,
    innerW: number,
    rowsTable: number,
    innerH: number,
    out: number,
    size: number,
    padX: number,
    padY: number,
  ): void;
}

/** What resample.ts has worked out for one letterbox: the shrink factor and both axes' sampling. */
export interface LetterboxPlan {
  size: number;
  innerWidth: number;
  innerHeight: number;
  padX: number;
  padY: number;
  /** Integer box-shrink factor (1: none). */
  f: number;
  /** Size of the shrunk frame (the frame itself when f is 1). */
  fromWidth: number;
  fromHeight: number;
  xs: { i0: Int32Array; i1: Int32Array; w: Float32Array };
  ys: { i0: Int32Array; i1: Int32Array; w: Float32Array };
}

/** What resample.ts has worked out for one face crop (cropPlan). */
export interface CropPlan {
  rect: { left: number; top: number; width: number; height: number };
  size: number;
  /** Integer box-shrink factors and the size of the shrunk rectangle. */
  fx: number;
  fy: number;
  sw: number;
  sh: number;
  /** The triangle filter's taps: output o reads index[o * taps + k] with weight[o * taps + k]. */
  xs: { taps: number; index: Int32Array; weight: Float32Array };
  ys: { taps: number; index: Int32Array; weight: Float32Array };
}

export const KERNELS_FILE = path.join(__dirname, 'resample-kernels.wasm');
/** Rows summed in 16-bit lanes: 257 x 255 still fits. */
const MAX_SHRINK = 257;
const PAGE = 65536;
/** Bytes 0..255 to 0..2 (the kernel then subtracts 1), folded into the column weights as resample.ts does. */
const BYTE_TO_UNIT = 1 / 127.5;

let kernels: Kernels | null | undefined;
/** The plan whose sampling tables are in memory now (the layout follows from the plan, so they stay put
 *  until a crop writes over them). */
let tablesOf: LetterboxPlan | undefined;

/** The kernels of this thread, or null where WebAssembly SIMD or the built module is missing. */
export function resampleKernels(): Kernels | null {
  if (kernels === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(KERNELS_FILE)), {});
      kernels = instance.exports as unknown as Kernels;
    } catch {
      kernels = null;
    }
  }
  return kernels;
}

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** Memory from 0: the crop's grey tables (3 x i32[256], then u8[65540]), written once; per-call data after. */
const LUTS = 0;
const DYNAMIC = 69632;
let lutsWritten = false;

/**
 * The most memory a thread's kernels may hold: WebAssembly memory never shrinks, so one huge photo would
 * otherwise keep its size for the life of the process, in every thread. A 4K frame (25 MB) fits; larger
 * frames take the JavaScript path.
 */
export const MAX_KERNEL_MEMORY = 40 * 1024 * 1024;

/** Grows the memory to `end` bytes; false where it cannot or may not. */
function reserve(k: Kernels, end: number): boolean {
  if (end <= k.memory.buffer.byteLength) return true;
  if (end > MAX_KERNEL_MEMORY) return false;
  try {
    k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / PAGE));
    return true;
  } catch {
    return false;
  }
}

/**
 * The letterboxed tensor for `plan` (written into `into` when given), or undefined where the kernels
 * cannot take this frame (not loaded, a shrink factor past 16-bit sums, a frame past MAX_KERNEL_MEMORY):
 * the caller then uses JavaScript.
 */
export function letterboxWithKernels(
  img: { data: Uint8Array; width: number; height: number },
  plan: LetterboxPlan,
  into?: Float32Array,
): Float32Array | undefined {
  const k = resampleKernels();
  if (!k || plan.f > MAX_SHRINK) return undefined;
  const rowBytes = img.width * 3;
  const frameBytes = rowBytes * img.height;
  // Layout after the tables: frame (+16 bytes that a row's last SIMD chunk may read), u16 row sums, shrunk frame, column
  // and row tables (16 bytes an entry), tensor.
  const acc = align(DYNAMIC + frameBytes + 16, 16);
  const shrunk = acc + 2 * align(rowBytes, 16) + 32;
  const shrunkBytes = plan.f > 1 ? plan.fromWidth * plan.fromHeight * 3 : 0;
  const cols = align(shrunk + shrunkBytes + 1, 16);
  const rows = cols + 16 * plan.innerWidth;
  const plane = plan.size * plan.size;
  const out = align(rows + 16 * plan.innerHeight, 16);
  const end = out + align(3 * plane, 4) * 4;
  if (!reserve(k, end)) return undefined;
  new Uint8Array(k.memory.buffer).set(img.data, DYNAMIC);
  let from = DYNAMIC;
  let stride = rowBytes;
  if (plan.f > 1) {
    k.boxShrink(DYNAMIC, img.width, img.height, plan.f, acc, shrunk);
    from = shrunk;
    stride = plan.fromWidth * 3;
  }
  if (tablesOf !== plan) writeTables(k.memory, plan, cols, rows);
  tablesOf = plan;
  k.fillMinusOne(out, align(3 * plane, 4));
  k.bilinear(from, stride, cols, plan.innerWidth, rows, plan.innerHeight, out, plan.size, plan.padX, plan.padY);
  const result = new Float32Array(k.memory.buffer, out, 3 * plane);
  return into ? (into.set(result), into) : result.slice();
}

/** Each output column's and row's source offsets and weights, 16 bytes an entry (see the kernel). */
function writeTables(memory: WebAssembly.Memory, plan: LetterboxPlan, cols: number, rows: number): void {
  const i32 = new Int32Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer);
  for (let ox = 0, at = cols >> 2; ox < plan.innerWidth; ox++, at += 4) {
    i32[at] = plan.xs.i0[ox] * 3;
    i32[at + 1] = plan.xs.i1[ox] * 3;
    f32[at + 2] = (1 - plan.xs.w[ox]) * BYTE_TO_UNIT;
    f32[at + 3] = plan.xs.w[ox] * BYTE_TO_UNIT;
  }
  for (let oy = 0, at = rows >> 2; oy < plan.innerHeight; oy++, at += 4) {
    i32[at] = plan.ys.i0[oy];
    i32[at + 1] = plan.ys.i1[oy];
    f32[at + 2] = plan.ys.w[oy];
    f32[at + 3] = 1 - plan.ys.w[oy];
  }
}

/**
 * The face crop for `plan` (resample.ts's cropGrey, the same bytes), or undefined where the kernels are
 * missing or memory cannot grow. Copies in only the frame's pixels that the rectangle covers.
 */
export function cropGreyWithKernels(
  img: { data: Uint8Array; width: number; height: number },
  plan: CropPlan,
  weighted: [Int32Array, Int32Array, Int32Array],
  toByte: Uint8Array,
): Uint8Array | undefined {
  const k = resampleKernels();
  // The kernel's down pass takes two outputs at a time; every crop the product takes is 48 or 64 wide.
  if (!k || plan.size % 2) return undefined;
  const { rect, size, fx, fy, sw, sh, xs, ys } = plan;
  const clampX = (x: number) => Math.min(img.width - 1, Math.max(0, x));
  const clampY = (y: number) => Math.min(img.height - 1, Math.max(0, y));
  // The frame's pixels under the rectangle (at least the edge pixel nearest it), copied row by row.
  const x0 = clampX(rect.left);
  const x1 = clampX(rect.left + rect.width - 1) + 1;
  const y0 = clampY(rect.top);
  const y1 = clampY(rect.top + rect.height - 1) + 1;
  const stride = (x1 - x0) * 3;
  const nCols = sw * fx;
  const nRows = sh * fy;
  const src = DYNAMIC;
  const cols = align(src + stride * (y1 - y0), 4);
  const rows = cols + 4 * nCols;
  const xi = rows + 4 * nRows;
  const xw = xi + 4 * xs.index.length;
  const yi = xw + 4 * xs.index.length;
  const yw = yi + 4 * ys.index.length;
  const shrunk = align(yw + 4 * ys.index.length, 16);
  const rows4 = align(sh, 4); // the kernel's shrunk rectangle and pass across go four rows at a time
  const across = shrunk + 4 * sw * rows4;
  const out = across + 4 * rows4 * size;
  if (!reserve(k, out + size * size)) return undefined;
  const buf = k.memory.buffer;
  tablesOf = undefined; // this crop's data may lie where the letterbox keeps its tables
  if (!lutsWritten) {
    const i32 = new Int32Array(buf, LUTS, 768);
    weighted.forEach((table, c) => i32.set(table, 256 * c));
    new Uint8Array(buf, LUTS + 3072, toByte.length).set(toByte);
    lutsWritten = true;
  }
  const heap = new Uint8Array(buf);
  for (let y = y0; y < y1; y++) heap.set(img.data.subarray((y * img.width + x0) * 3, (y * img.width + x1) * 3), src + (y - y0) * stride);
  const i32 = new Int32Array(buf);
  for (let i = 0; i < nCols; i++) i32[(cols >> 2) + i] = (clampX(rect.left + Math.min(i, rect.width - 1)) - x0) * 3;
  for (let j = 0; j < nRows; j++) i32[(rows >> 2) + j] = (clampY(rect.top + Math.min(j, rect.height - 1)) - y0) * stride;
  i32.set(xs.index, xi >> 2);
  i32.set(ys.index, yi >> 2);
  const f32 = new Float32Array(buf);
  f32.set(xs.weight, xw >> 2);
  f32.set(ys.weight, yw >> 2);
  k.cropGrey(LUTS, src, cols, rows, sw, sh, fx, fy, xi, xw, xs.taps, yi, yw, ys.taps, size, shrunk, across, out);
  return new Uint8Array(buf, out, size * size).slice();
}
