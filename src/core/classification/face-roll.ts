/**
 * Levelling tilted faces. FER2013's faces are not levelled either: BlazeFace's eye line on its Training
 * images tilts by up to 16 degrees for 90 % of them (training/results/fer2013-roll-full.json), and training
 * rotates them by up to 15 more, so the network reads such tilts as they are. A head tilted further (30
 * degrees costs ~10 points of PublicTest accuracy) is turned back only by the excess, so an upright face's
 * crop is exactly what it was and a noisy eye line on a small face cannot make an upright face's label flicker.
 */

/** Tilts up to this many degrees are left as they are (FER2013 Training's 90th percentile, rounded). */
export const LEVEL_BEYOND_DEGREES = 16;

/** The eye line's angle in degrees (image coordinates, y down: positive = the subject's left eye lower),
 *  or undefined for a face without eye landmarks (e.g. boxes from another flow). */
export function rollDegrees(face: { keypoints?: unknown }): number | undefined {
  const right = eyePoint(face.keypoints, 'right_eye');
  const left = eyePoint(face.keypoints, 'left_eye');
  if (!right || !left) return undefined;
  const dx = left.x - right.x;
  const dy = left.y - right.y;
  if (dx === 0 && dy === 0) return undefined;
  return (Math.atan2(dy, dx) * 180) / Math.PI;
}

/** A named keypoint with finite coordinates; keypoints from another flow may be anything. */
function eyePoint(keypoints: unknown, name: string): { x: number; y: number } | undefined {
  if (!Array.isArray(keypoints)) return undefined;
  for (const k of keypoints as unknown[]) {
    if (typeof k !== 'object' || k === null) continue;
    const { name: n, x, y } = k as { name?: unknown; x?: unknown; y?: unknown };
    if (n === name) return typeof x === 'number' && typeof y === 'number' && Number.isFinite(x + y) ? { x, y } : undefined;
  }
  return undefined;
}

/**
 * The rotation (degrees, in the test-time views' convention: added to each view's angle) that brings the
 * face's tilt back to `beyond` degrees; 0 for a face tilted less, or without eye landmarks.
 */
export function levellingDegrees(face: { keypoints?: unknown }, beyond = LEVEL_BEYOND_DEGREES): number {
  const roll = rollDegrees(face);
  if (roll === undefined || Math.abs(roll) <= beyond) return 0;
  // Beyond +-90 degrees the face is upside down or the eyes are swapped: leave it to the detector's score.
  if (Math.abs(roll) > 90) return 0;
  return roll - Math.sign(roll) * beyond;
}
