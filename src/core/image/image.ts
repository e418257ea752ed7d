/**
 * Frame decoding (libjpeg-turbo for plain JPEGs, turbo-jpeg.ts; sharp for the rest) and the pixel operations
 * the models need. A frame is decoded once into packed RGB (EXIF orientation applied); the detector's
 * letterbox and the classifier's face crops are sampled from that one buffer in JavaScript (resample.ts).
 */
import type sharpFunction from 'sharp';
import type { Metadata, Sharp, SharpInput, SharpOptions } from 'sharp';
import { isPlainJpeg, readJpegHeader } from './jpeg-header';
import { cropGrey as resampleCrop, letterbox, Letterbox } from './resample';
import { decodeWithTurboJpeg, turboJpeg } from './turbo-jpeg';

// sharp (libvips) loads at the first decode or encode, not with this module: inference workers import the
// pixel helpers below for frames decoded elsewhere and never need it (it costs ~40-70 ms to load).
let sharpModule: typeof sharpFunction | undefined;
function sharp(input: SharpInput, options?: SharpOptions): Sharp {
  loadSharp();
  return (sharpModule as typeof sharpFunction)(input, options);
}

/** Loads the frame decoder now: a detector's creation calls it while the workers load the models, so that
 *  the first frame does not pay for it. That is libjpeg-turbo where the native package has it (camera
 *  frames are plain JPEGs); sharp otherwise, or later, at the first frame that needs it. */
export function preloadDecoder(): void {
  turboJpeg().then(
    (jt) => jt ?? loadSharp(),
    () => loadSharp(),
  );
}

/** Loads sharp now (once). */
function loadSharp(): void {
  if (sharpModule) return;
  keepFrameBuffersMappedOnce();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use (see above)
  sharpModule = require('sharp') as typeof sharpFunction;
  // libvips sets up its threads and the JPEG codec at its first image (~15 ms): a tiny one now, not the first frame.
  sharpModule({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer()
    .then((jpeg) => (sharpModule as typeof sharpFunction)(jpeg).raw().toBuffer())
    .catch(() => undefined);
}

/**
 * Makes glibc's malloc keep the memory of freed frames instead of handing it back to the system, by freeing
 * one large block early (24 MB, never touched, so it costs no memory): glibc then raises its threshold for
 * serving blocks from fresh mappings to that size, and the threshold for returning memory to twice that
 * (its dynamic mmap threshold; M_MMAP_THRESHOLD in mallopt(3)).
 *
 * Why: a decoded 640x480 frame is a 0.9 MB block. Below the threshold, every frame gets fresh pages from
 * the system, and on a virtual machine each first touch of a page costs ~12 us. That is ~135 page faults
 * and +2.5 ms a decode (2.5 -> 5.2 ms, `bench/decode.js`). Whether a process landed on the fast side
 * used to depend on whether some large block had happened to be freed first (a model file read, for
 * one). Other allocators (musl, macOS, Windows) simply allocate and free the block.
 */
let framesKeptMapped = false;
function keepFrameBuffersMappedOnce(): void {
  if (framesKeptMapped) return;
  framesKeptMapped = true;
  Buffer.allocUnsafeSlow(24 << 20); // dropped at once: freed at the next garbage collection
}

/** Decoded frames whose memory V8 owns (turbo-jpeg.ts's), which can move to a worker as they are. */
const movable = new WeakSet<Buffer>();

/** Whether a decoded frame's pixels can be transferred to a worker without a copy (see pipeline.ts). */
export const isMovable = (img: DecodedImage): boolean => movable.has(img.data);

/** Raw pixels as a camera or another node may hand them over. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  channels: number;
}

/** What the nodes and the CLI accept as a frame. */
export type ImageInput = Buffer | Uint8Array | string | RawImage;

/** A decoded frame: packed RGB, 3 bytes a pixel, orientation applied. */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default 50 MP) before decoding them. */
  maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;

export class ImageInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

export function isRawImage(v: unknown): v is RawImage {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<RawImage>;
  return r.data instanceof Uint8Array && typeof r.width === 'number' && typeof r.height === 'number' && typeof r.channels === 'number';
}

/** A Buffer after JSON.stringify (what a Buffer becomes on the way through MQTT, a file or a context store). */
interface BufferJson {
  type: 'Buffer';
  data: unknown[];
}

const isBufferJson = (v: unknown): v is BufferJson =>
  typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);

/** Bytes from the shapes other nodes hand pixel data in: Uint8Array/Buffer, Uint8ClampedArray (canvas),
 *  a plain array of 0-255, or Buffer-JSON. undefined when `v` is none of them. */
function bytesOf(v: unknown, field: string): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (v instanceof Uint8ClampedArray) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const arr: unknown[] | undefined = isBufferJson(v) ? v.data : Array.isArray(v) ? (v as unknown[]) : undefined;
  if (!arr) return undefined;
  const out = new Uint8Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const b = arr[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
      throw new ImageInputError(`${field}[${i}] is ${JSON.stringify(b)}; bytes (integers 0-255) expected`);
    }
    out[i] = b;
  }
  return out;
}

/** Raw pixels whose data came as another array type: made a RawImage, or undefined if `v` is not one. */
function asRawImage(v: unknown): RawImage | undefined {
  if (isRawImage(v)) return v;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || isBufferJson(v)) return undefined;
  const r = v as Record<string, unknown>;
  if (!('data' in r && 'width' in r && 'height' in r)) return undefined;
  const data = bytesOf(r.data, 'raw image data');
  if (!data)
    throw new ImageInputError(`raw image data must be bytes (Buffer, Uint8Array, Uint8ClampedArray or an array), got ${typeof r.data}`);
  const channels = r.channels === undefined ? data.length / (Number(r.width) * Number(r.height)) : r.channels;
  return { data, width: Number(r.width), height: Number(r.height), channels: Number(channels) };
}

/** Decodes a frame into packed RGB. Throws ImageInputError with a clear message on bad input. */
export async function decodeImage(input: unknown, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const raw = asRawImage(input);
  if (raw) return fromRaw(raw, maxPixels);
  const bytes = toEncodedBytes(input);
  if (bytes.length === 0) throw new ImageInputError('the image is empty (0 bytes)');
  // A plain JPEG (what cameras send) through libjpeg-turbo directly when the native package has it.
  const jpeg = readJpegHeader(bytes);
  if (jpeg && isPlainJpeg(jpeg) && jpeg.width * jpeg.height <= maxPixels) {
    const img = await decodeWithTurboJpeg(bytes, jpeg);
    if (img) {
      keepFrameBuffersMappedOnce();
      movable.add(img.data);
      return img;
    }
  }
  // One libvips job for a good frame; sharp checks the pixel limit on the header, before decoding. Only a
  // failure pays for reading the header again, to say what is wrong.
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .rotate() // honour EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return toRgb(data, info.width, info.height, info.channels);
  } catch (err) {
    throw await decodeError(bytes, maxPixels, err as Error);
  }
}

async function decodeError(bytes: Buffer, maxPixels: number, err: Error): Promise<ImageInputError> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    return new ImageInputError(`not a decodable image (${bytes.length} bytes): ${(e as Error).message}`);
  }
  const pixels = meta.width * meta.height;
  if (pixels > maxPixels) {
    return new ImageInputError(`image is ${meta.width}x${meta.height} (${pixels} pixels), over the limit of ${maxPixels} pixels`);
  }
  return new ImageInputError(`could not decode the ${meta.format}: ${err.message}`);
}

function toEncodedBytes(input: unknown): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (typeof input === 'string') {
    const m = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(input);
    if (!m) {
      throw new ImageInputError('a string payload must be a data URL (data:image/...;base64,...)');
    }
    const b64 = input.slice(m[0].length);
    // Buffer.from(…, 'base64') skips what is not base64 instead of failing: check first, say what is wrong.
    const bad = /[^A-Za-z0-9+/=\s_-]/.exec(b64);
    if (bad) throw new ImageInputError(`the data URL's base64 has an invalid character "${bad[0]}" at ${m[0].length + bad.index}`);
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === 0) throw new ImageInputError('the data URL holds no data');
    return bytes;
  }
  const bytes = bytesOf(input, 'msg.payload');
  if (bytes) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = input === null ? 'null' : Array.isArray(input) ? 'array' : typeof input;
  throw new ImageInputError(`expected an image Buffer, a data URL or raw pixels {data, width, height, channels}, got ${kind}`);
}

function fromRaw(raw: RawImage, maxPixels: number): DecodedImage {
  const { width, height, channels, data } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageInputError(`raw image has invalid size ${width}x${height}`);
  }
  if (![1, 3, 4].includes(channels)) throw new ImageInputError(`raw image has ${channels} channels; 1, 3 or 4 expected`);
  if (width * height > maxPixels) {
    throw new ImageInputError(`image is ${width}x${height} (${width * height} pixels), over the limit of ${maxPixels} pixels`);
  }
  if (data.length !== width * height * channels) {
    throw new ImageInputError(`raw image data has ${data.length} bytes; ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
  return toRgb(Buffer.from(data.buffer, data.byteOffset, data.byteLength), width, height, channels);
}

function toRgb(data: Buffer, width: number, height: number, channels: number): DecodedImage {
  if (channels === 3) return { data, width, height };
  const out = Buffer.allocUnsafe(width * height * 3);
  for (let i = 0, o = 0; o < out.length; i += channels, o += 3) {
    out[o] = data[i];
    out[o + 1] = data[channels >= 3 ? i + 1 : i];
    out[o + 2] = data[channels >= 3 ? i + 2 : i];
  }
  return { data: out, width, height };
}

const rawInput = (img: DecodedImage) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });

export type { Letterbox } from './resample';
export { warmCrop, warmLetterbox } from './resample';

/**
 * Letterboxes the frame into a size x size square (aspect kept, centred, black bars) and returns it as a
 * planar float32 NCHW tensor with values scaled to [-1, 1], as BlazeFace expects (resample.ts).
 */
export function letterboxTensor(img: DecodedImage, size: number, into?: Float32Array): { tensor: Float32Array; box: Letterbox } {
  return letterbox(img, size, into);
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Cuts `rect` (may extend past the frame: the outside is filled by edge replication, like the FER2013
 * crops that reach the image border) and resizes it to size x size single-channel grey (resample.ts).
 */
export function cropGrey(img: DecodedImage, rect: Rect, size: number): Uint8Array {
  const left = Math.round(rect.x);
  const top = Math.round(rect.y);
  const width = Math.max(1, Math.round(rect.width));
  const height = Math.max(1, Math.round(rect.height));
  if (Math.min(img.width, left + width) <= Math.max(0, left) || Math.min(img.height, top + height) <= Math.max(0, top)) {
    throw new ImageInputError('face box lies outside the image');
  }
  return resampleCrop(img, { left, top, width, height }, size);
}

/** Encodes a decoded frame as JPEG (for annotated output). */
export function encodeJpeg(img: DecodedImage, svgOverlay?: string, quality = 80): Promise<Buffer> {
  let p = rawInput(img);
  if (svgOverlay) p = p.composite([{ input: Buffer.from(svgOverlay), top: 0, left: 0 }]);
  return p.jpeg({ quality }).toBuffer();
}

/**
 * A JPEG of `rect` grown by `margin` of its size on each side (clipped to the frame), at most `maxSide` px
 * on its longer side: the face picture an alert carries (a phone notification, a Telegram message).
 */
export function encodeCropJpeg(
  img: DecodedImage,
  rect: Rect,
  opts: { margin?: number; maxSide?: number; quality?: number } = {},
): Promise<Buffer> {
  const m = opts.margin ?? 0.25;
  const left = Math.max(0, Math.floor(rect.x - rect.width * m));
  const top = Math.max(0, Math.floor(rect.y - rect.height * m));
  const right = Math.min(img.width, Math.ceil(rect.x + rect.width * (1 + m)));
  const bottom = Math.min(img.height, Math.ceil(rect.y + rect.height * (1 + m)));
  if (right <= left || bottom <= top) return Promise.reject(new ImageInputError('face box lies outside the image'));
  const side = opts.maxSide ?? 256;
  return rawInput(img)
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: opts.quality ?? 85 })
    .toBuffer();
}
