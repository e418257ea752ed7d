/**
 * One decode per frame across nodes: lightexnet-face-detect and lightexnet-classify see the same Buffer object when
 * wired in a line (Node-RED only clones a message that fans out to several wires), so the decoded pixels
 * are remembered against that object. A WeakMap lets them go when the message does.
 */
import { decodeImage, DecodedImage, DecodeOptions, DEFAULT_MAX_PIXELS, ImageInputError } from './image';

const cache = new WeakMap<object, DecodedImage>();

export async function decodeFrame(input: unknown, opts?: DecodeOptions): Promise<DecodedImage> {
  const key = typeof input === 'object' && input !== null ? input : undefined;
  const hit = key && cache.get(key);
  if (hit) {
    // The node that decoded it may have allowed more pixels than this one does.
    const max = opts?.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (hit.width * hit.height > max) {
      throw new ImageInputError(`image is ${hit.width}x${hit.height} (${hit.width * hit.height} pixels), over the limit of ${max} pixels`);
    }
    return hit;
  }
  const img = await decodeImage(input, opts);
  if (key) cache.set(key, img);
  return img;
}
