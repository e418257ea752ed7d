/**
 * BlazeFace output decoding, as MediaPipe's TensorsToDetectionsCalculator and its weighted non-max
 * suppression do it. Coordinates here are normalised to the square model input (0..1).
 */
import type { Anchor } from './ssd-anchors';

export const KEYPOINT_NAMES = ['right_eye', 'left_eye', 'nose_tip', 'mouth_center', 'right_ear_tragion', 'left_ear_tragion'] as const;
export type KeypointName = (typeof KEYPOINT_NAMES)[number];

export interface Keypoint {
  name: KeypointName;
  x: number;
  y: number;
}

export interface Detection {
  /** Box in the coordinate system of the caller (normalised here, pixels after mapping). */
  box: { x: number; y: number; width: number; height: number };
  score: number;
  keypoints: Keypoint[];
}

const VALUES_PER_ANCHOR = 16;

/** Decodes every anchor whose score reaches `minScore`. */
export function decodeDetections(
  regressors: Float32Array,
  logits: Float32Array,
  anchors: Anchor[],
  inputSize: number,
  minScore: number,
): Detection[] {
  if (regressors.length !== anchors.length * VALUES_PER_ANCHOR || logits.length !== anchors.length) {
    throw new Error(`model output does not match its ${anchors.length} anchors`);
  }
  const out: Detection[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const logit = Math.max(-100, Math.min(100, logits[i]));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const r = i * VALUES_PER_ANCHOR;
    const a = anchors[i];
    const cx = regressors[r] / inputSize + a.x;
    const cy = regressors[r + 1] / inputSize + a.y;
    const w = regressors[r + 2] / inputSize;
    const h = regressors[r + 3] / inputSize;
    const keypoints = KEYPOINT_NAMES.map((name, k) => ({
      name,
      x: regressors[r + 4 + 2 * k] / inputSize + a.x,
      y: regressors[r + 5 + 2 * k] / inputSize + a.y,
    }));
    if (w <= 0 || h <= 0) continue;
    out.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score, keypoints });
  }
  return out;
}

export function iou(a: Detection['box'], b: Detection['box']): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Weighted NMS: the best remaining detection absorbs every detection overlapping it by more than
 * `iouThreshold`; box and keypoints become the score-weighted mean of the group, the score stays the best.
 */
export function weightedNms(dets: Detection[], iouThreshold = 0.3): Detection[] {
  let remaining = [...dets].sort((a, b) => b.score - a.score);
  const out: Detection[] = [];
  while (remaining.length > 0) {
    const top = remaining[0];
    const group: Detection[] = [];
    const rest: Detection[] = [];
    for (const d of remaining) (iou(top.box, d.box) > iouThreshold || d === top ? group : rest).push(d);
    remaining = rest;
    if (group.length === 1) {
      out.push(top);
      continue;
    }
    const total = group.reduce((s, d) => s + d.score, 0);
    const avg = (f: (d: Detection) => number) => group.reduce((s, d) => s + f(d) * d.score, 0) / total;
    out.push({
      box: { x: avg((d) => d.box.x), y: avg((d) => d.box.y), width: avg((d) => d.box.width), height: avg((d) => d.box.height) },
      score: top.score,
      keypoints: top.keypoints.map((k, i) => ({ name: k.name, x: avg((d) => d.keypoints[i].x), y: avg((d) => d.keypoints[i].y) })),
    });
  }
  return out;
}
