/**
 * Is a detection shaped like a face? BlazeFace also fires on textures and test patterns (Chromium's fake
 * camera: score 0.55-0.59 with the nose above the eyes); its six landmarks say whether the parts sit where
 * a face's do. Checked in the face's own frame (the eye line and its normal), so in-plane rotation is fine.
 */
import type { Face } from './face-detector';

const point = (f: Face, name: string) => f.keypoints.find((k) => k.name === name);

/** Why `f` is not a plausible frontal-to-three-quarter face, or undefined when it is. Faces without
 *  landmarks (from upstream flows) are not judged. */
export function implausibleFace(f: Face): string | undefined {
  const re = point(f, 'right_eye');
  const le = point(f, 'left_eye');
  const nose = point(f, 'nose_tip');
  const mouth = point(f, 'mouth_center');
  if (!re || !le || !nose || !mouth) return undefined;
  const vx = le.x - re.x;
  const vy = le.y - re.y;
  const d = Math.hypot(vx, vy);
  const side = Math.max(f.box.width, f.box.height);
  if (!(d >= 0.15 * side && d <= 0.9 * side)) return `eye distance ${Math.round(d)} px for a ${Math.round(side)} px box`;
  // Unit vectors along the eye line (towards the subject's left eye) and down the face.
  const ux = vx / d;
  const uy = vy / d;
  const nx = -uy;
  const ny = ux;
  const ex = (re.x + le.x) / 2;
  const ey = (re.y + le.y) / 2;
  const down = (p: { x: number; y: number }) => ((p.x - ex) * nx + (p.y - ey) * ny) / d;
  const across = (p: { x: number; y: number }) => ((p.x - ex) * ux + (p.y - ey) * uy) / d;
  const m = down(mouth);
  if (!(m >= 0.4 && m <= 2.0)) return `mouth ${m.toFixed(2)} eye distances below the eyes (0.4-2 expected)`;
  const n = down(nose);
  if (!(n > 0 && n < m)) return 'nose not between the eyes and the mouth';
  if (Math.abs(across(mouth)) > 0.6) return 'mouth far to the side of the eyes';
  return undefined;
}
