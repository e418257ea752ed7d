/**
 * Faces handed in from upstream (msg.payload of lightexnet-face-detect, or anything a user's flow built) are untrusted:
 * a box of 60,000 px, NaN, or 2,000 boxes must not reach the crop. Each box is checked field by field,
 * clipped to the frame, and the list is capped (largest faces first), before any pixel work.
 */
import type { Face } from './face-detector';
import { ImageInputError } from '../image/image';

/** Faces classified per message at most, unless the caller says otherwise. */
export const DEFAULT_MAX_FACES = 20;

export interface CheckedFaces<F> {
  /** The faces to classify, boxes clipped to the frame, at most maxFaces of them (largest first). */
  faces: F[];
  /** How many valid faces were left out by the cap. */
  capped: number;
}

/** Is `v` meant as a list of faces (objects with a box; [] is lightexnet-face-detect's "no face") rather than a frame? */
export function looksLikeFaceList(v: unknown): v is { box: unknown }[] {
  return Array.isArray(v) && v.every((f) => typeof f === 'object' && f !== null && 'box' in f);
}

/**
 * Validates faces against a frame of width x height. Throws ImageInputError naming the first bad field
 * (`msg.payload[3].box.width is NaN`); a box wholly outside the frame is an error too.
 */
export function checkFaces<F extends { box: unknown }>(
  faces: F[],
  width: number,
  height: number,
  maxFaces = DEFAULT_MAX_FACES,
  field = 'msg.payload',
): CheckedFaces<F & { box: Face['box'] }> {
  const out = faces.map((f, i) => {
    const where = `${field}[${i}].box`;
    const box = f.box as Record<string, unknown> | null;
    if (typeof box !== 'object' || box === null) throw new ImageInputError(`${where} must be an object {x, y, width, height}`);
    const num = (k: string): number => {
      const v = box[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new ImageInputError(`${where}.${k} must be a finite number, got ${typeof v === 'number' ? v : typeof v}`);
      }
      return v;
    };
    const x = num('x');
    const y = num('y');
    const w = num('width');
    const h = num('height');
    if (w <= 0 || h <= 0) throw new ImageInputError(`${where} has no area (${w}x${h})`);
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(width, x + w);
    const y1 = Math.min(height, y + h);
    if (x1 <= x0 || y1 <= y0) throw new ImageInputError(`${where} (${x},${y} ${w}x${h}) lies outside the ${width}x${height} frame`);
    const inside = x0 === x && y0 === y && x1 === x + w && y1 === y + h;
    // A box inside the frame keeps its numbers exactly (x1 - x0 would round them).
    return { ...f, box: inside ? { x, y, width: w, height: h } : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
  });
  if (out.length <= maxFaces) return { faces: out, capped: 0 };
  const kept = out
    .map((f, i) => ({ f, i, area: f.box.width * f.box.height }))
    .sort((a, b) => b.area - a.area || a.i - b.i)
    .slice(0, maxFaces)
    .sort((a, b) => a.i - b.i) // keep the caller's order among the kept
    .map((e) => e.f);
  return { faces: kept, capped: out.length - maxFaces };
}
