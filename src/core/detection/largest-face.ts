/** The face a frame is "about" when one answer is wanted (msg.expression, a sensor's state): the largest box. */
export function largestFace<F extends { box: { width: number; height: number } }>(faces: readonly F[]): F | undefined {
  let best: F | undefined;
  for (const f of faces) if (!best || f.box.width * f.box.height > best.box.width * best.box.height) best = f;
  return best;
}
