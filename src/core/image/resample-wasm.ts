/**
 * The detector's letterbox run by resample-kernels.wat (WebAssembly SIMD): the box shrink reads a whole
 * frame, which JavaScript does a byte at a time. Same bytes and floats as resample.ts's JavaScript (tested);
 * where the module cannot load (no SIMD, a build without it) resample.ts keeps its JavaScript.
 *
 * One instance per thread (inference workers each load their own); its memory grows to the largest frame
 * seen and is reused, so a frame costs one copy in and one tensor copy out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Kernels {
  memory: WebAssembly.Memory;
  sumRows(src: number, stride: number, rows: number, bytes: number, acc: number): void;
  shrinkRow(acc: number, width: number, f: number, rows: number, dst: number, full: number, reciprocal: number): void;
  fillMinusOne(out: number, count: number): void;
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

export const KERNELS_FILE = path.join(__dirname, 'resample-kernels.wasm');
/** Rows summed in 16-bit lanes: 257 x 255 still fits. */
const MAX_SHRINK = 257;
/** Blocks summed in 16-bit lanes: 16 x 16 pixels x 255 still fits. */
const MAX_SIMD_BLOCK = 16;
const PAGE = 65536;
/** Bytes 0..255 to 0..2 (the kernel then subtracts 1), folded into the column weights as resample.ts does. */
const BYTE_TO_UNIT = 1 / 127.5;

let kernels: Kernels | null | undefined;
/** The plan whose sampling tables are in memory now (the layout follows from the plan, so they stay put). */
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

/**
 * The letterboxed tensor for `plan`, or undefined where the kernels cannot take this frame (not loaded, a
 * shrink factor past 16-bit sums, memory that cannot grow): the caller then uses JavaScript.
 */
export function letterboxWithKernels(img: { data: Uint8Array; width: number; height: number }, plan: LetterboxPlan): Float32Array | undefined {
  const k = resampleKernels();
  if (!k || plan.f > MAX_SHRINK) return undefined;
  const rowBytes = img.width * 3;
  const frameBytes = rowBytes * img.height;
  // Layout: frame (+16 bytes that a row's last SIMD chunk may read), u16 row sums, shrunk frame, column
  // and row tables (24 bytes an entry), tensor.
  const acc = align(frameBytes + 16, 16);
  const shrunk = acc + 2 * align(rowBytes, 16) + 32;
  const shrunkBytes = plan.f > 1 ? plan.fromWidth * plan.fromHeight * 3 : 0;
  const cols = align(shrunk + shrunkBytes, 8);
  const rows = cols + 24 * plan.innerWidth;
  const plane = plan.size * plan.size;
  const out = align(rows + 24 * plan.innerHeight, 16);
  const end = out + align(3 * plane, 4) * 4;
  if (end > k.memory.buffer.byteLength) {
    try {
      k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / PAGE));
    } catch {
      return undefined;
    }
  }
  const heap = new Uint8Array(k.memory.buffer);
  heap.set(img.data, 0);
  let from = 0;
  let stride = rowBytes;
  if (plan.f > 1) {
    const f = plan.f;
    for (let by = 0; by < plan.fromHeight; by++) {
      const y0 = by * f;
      const n = Math.min(img.height, y0 + f) - y0;
      k.sumRows(y0 * rowBytes, rowBytes, n, rowBytes, acc);
      const full = f <= MAX_SIMD_BLOCK ? Math.floor(img.width / f) : 0;
      k.shrinkRow(acc, img.width, f, n, shrunk + by * plan.fromWidth * 3, full, Math.ceil(2 ** 32 / (n * f)));
    }
    from = shrunk;
    stride = plan.fromWidth * 3;
  }
  if (tablesOf !== plan) writeTables(k.memory, plan, cols, rows);
  tablesOf = plan;
  k.fillMinusOne(out, align(3 * plane, 4));
  k.bilinear(from, stride, cols, plan.innerWidth, rows, plan.innerHeight, out, plan.size, plan.padX, plan.padY);
  return new Float32Array(k.memory.buffer, out, 3 * plane).slice();
}

/** Each output column's and row's source offsets and weights, 24 bytes an entry (see the kernel). */
function writeTables(memory: WebAssembly.Memory, plan: LetterboxPlan, cols: number, rows: number): void {
  const i32 = new Int32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  for (let ox = 0; ox < plan.innerWidth; ox++) {
    const at = cols + 24 * ox;
    i32[at >> 2] = plan.xs.i0[ox] * 3;
    i32[(at >> 2) + 1] = plan.xs.i1[ox] * 3;
    f64[(at >> 3) + 1] = (1 - plan.xs.w[ox]) * BYTE_TO_UNIT;
    f64[(at >> 3) + 2] = plan.xs.w[ox] * BYTE_TO_UNIT;
  }
  for (let oy = 0; oy < plan.innerHeight; oy++) {
    const at = rows + 24 * oy;
    i32[at >> 2] = plan.ys.i0[oy];
    i32[(at >> 2) + 1] = plan.ys.i1[oy];
    f64[(at >> 3) + 1] = plan.ys.w[oy];
    f64[(at >> 3) + 2] = 1 - plan.ys.w[oy];
  }
}
