/**
 * JPEG frames decoded by libjpeg-turbo's TurboJPEG, from the native runtime package (jpeg-turbo/: the
 * prebuilt binding of @julusian/jpeg-turbo, scripts/build-runtime.js). A 640x480 camera frame takes ~0.6 ms
 * here against 2.3-2.9 ms through sharp, whose libvips pipeline costs more than the decode itself; a frame's
 * whole path is ~8-9 ms, so this is a fifth of it.
 *
 * Only plain JPEGs come here (jpeg-header.ts: 8-bit grey or YCbCr, upright, no ICC profile); sharp decodes the
 * rest, and every JPEG this decoder refuses (a truncated or corrupt file), so errors read as before. The
 * binding decodes with libjpeg-turbo's fast integer IDCT: pixels differ from sharp's (the accurate IDCT) by
 * ~1 grey level on average and a few at most, less than the JPEG's own compression error.
 *
 * A native library that crashes cannot be caught, so the binding is loaded only after it decoded a JPEG in
 * the child process that tests the native runtime (native-runtime-check.ts), now or at an earlier start.
 * LIGHTEXNET_JPEG_DECODER=sharp turns it off.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { checkNativeRuntime, nativePackageName } from '../runtime/native-runtime-check';
import type { JpegHeader } from './jpeg-header';

/** The part of the binding used here (its decompress checks `out` is large enough before decoding). */
interface TurboJpegBinding {
  FORMAT_RGB: number;
  decompress(jpeg: Buffer, out: Buffer, opts: { format: number }): Promise<{ width: number; height: number }>;
}

let binding: Promise<TurboJpegBinding | undefined> | undefined;

/** The decoder, once the native check passed it; undefined where there is none or it is not to be used. */
export function turboJpeg(): Promise<TurboJpegBinding | undefined> {
  binding ??= load();
  return binding;
}

async function load(): Promise<TurboJpegBinding | undefined> {
  if (process.env.LIGHTEXNET_JPEG_DECODER === 'sharp') return undefined;
  let file: string;
  try {
    const pkg = path.dirname(require.resolve(`${nativePackageName()}/package.json`));
    file = path.join(pkg, 'jpeg-turbo', 'node-napi-v7.node');
  } catch {
    return undefined; // no native package for this platform
  }
  if (!existsSync(file)) return undefined;
  const verdict = await checkNativeRuntime({ packageName: nativePackageName() }).catch(() => undefined);
  if (verdict?.kind !== 'ok' || verdict.decoder !== 'ok') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native binding, by path
    return require(file) as TurboJpegBinding;
  } catch {
    return undefined;
  }
}

/**
 * Decodes a plain JPEG to packed RGB, into memory V8 owns (so it can be moved to a worker without a copy);
 * undefined if the decoder is not in use or refuses the data (the caller then asks sharp). The size comes
 * from the header read in JavaScript, so the output is never larger than the caller's pixel limit allows.
 */
export async function decodeWithTurboJpeg(
  bytes: Buffer,
  header: JpegHeader,
): Promise<{ data: Buffer; width: number; height: number } | undefined> {
  const bytesOut = header.width * header.height * 3;
  if (bytesOut >= 2 ** 31) return undefined; // the binding sizes its output in a C int
  const jt = await turboJpeg();
  if (!jt) return undefined;
  const out = Buffer.allocUnsafeSlow(bytesOut);
  try {
    const r = await jt.decompress(bytes, out, { format: jt.FORMAT_RGB });
    if (r.width !== header.width || r.height !== header.height) return undefined;
  } catch {
    return undefined;
  }
  return { data: out, width: header.width, height: header.height };
}
