/**
 * What a JPEG's markers say before any pixel is decoded: its size, its kind of frame, and whether it needs
 * more than a plain decode to look right (an EXIF orientation, an ICC profile, CMYK). turbo-jpeg.ts decodes
 * only the plain kind; sharp decodes the rest as before.
 *
 * The size read here is also what bounds the decoder's output: it must be the one libjpeg will use, so this
 * reads the markers as libjpeg does up to the first scan (SOS), and gives up (undefined) on anything odd: a
 * second frame header, a segment running past the data, a zero dimension (a DNL marker's height).
 */

export interface JpegHeader {
  width: number;
  height: number;
  /** Colour components: 1 (grey), 3 (YCbCr or RGB), 4 (CMYK / YCCK). */
  components: number;
  /** Bits per sample: 8, or 12 for the rare extended kind. */
  precision: number;
  /** The frame marker: 0xc0 baseline, 0xc1 extended, 0xc2 progressive; others (arithmetic, lossless) rarer. */
  frameMarker: number;
  /** EXIF orientation tag (1 = upright; 2-8 need a rotation or a flip); 1 when there is none, 0 when the
   *  EXIF data could not be read. */
  orientation: number;
  /** An embedded ICC colour profile (APP2 "ICC_PROFILE"). */
  iccProfile: boolean;
  /** An Adobe APP14 segment (what CMYK and YCCK files carry; its transform flag changes the colours). */
  adobe: boolean;
}

const SOI = 0xd8;
const SOS = 0xda;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
/** Frame headers: 0xc0-0xcf except DHT (c4), JPG (c8) and DAC (cc). */
const isFrameMarker = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Markers without a length: TEM and RST0-7 (SOI and EOI are handled apart). */
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);

/** The header of a JPEG, or undefined if `bytes` is not one this module can vouch for. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) return undefined;
  let frame: Pick<JpegHeader, 'width' | 'height' | 'components' | 'precision' | 'frameMarker'> | undefined;
  let orientation = 1;
  let iccProfile = false;
  let adobe = false;
  let at = 2;
  for (;;) {
    // Markers may be preceded by any number of 0xff fill bytes.
    if (at >= bytes.length || bytes[at] !== 0xff) return undefined;
    while (at < bytes.length && bytes[at] === 0xff) at++;
    if (at >= bytes.length) return undefined;
    const marker = bytes[at++];
    if (isStandalone(marker)) continue;
    if (marker === SOI || marker === 0xd9 || marker === 0x00) return undefined; // SOI again, EOI before a scan
    if (at + 2 > bytes.length) return undefined;
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2 || at + length > bytes.length) return undefined;
    const body = bytes.subarray(at + 2, at + length);
    if (marker === SOS) break;
    if (isFrameMarker(marker)) {
      if (frame || body.length < 6) return undefined; // libjpeg refuses a second frame header
      frame = {
        frameMarker: marker,
        precision: body[0],
        height: (body[1] << 8) | body[2],
        width: (body[3] << 8) | body[4],
        components: body[5],
      };
    } else if (marker === APP1 && startsWith(body, 'Exif\0\0')) {
      orientation = exifOrientation(body.subarray(6)) ?? 0; // 0: unreadable, so not vouched for
    } else if (marker === APP2 && startsWith(body, 'ICC_PROFILE\0')) {
      iccProfile = true;
    } else if (marker === APP14 && startsWith(body, 'Adobe')) {
      adobe = true;
    }
    at += length;
  }
  if (!frame || frame.width === 0 || frame.height === 0) return undefined;
  return { ...frame, orientation, iccProfile, adobe };
}

/** Whether a plain decode to RGB gives what sharp's decode (EXIF orientation and colour applied) gives. */
export function isPlainJpeg(h: JpegHeader): boolean {
  const usualFrame = h.frameMarker === 0xc0 || h.frameMarker === 0xc1 || h.frameMarker === 0xc2;
  // An Adobe marker on a 1- or 3-component file says YCbCr or RGB, which libjpeg reads from it in either decoder;
  // on a 4-component one (CMYK, YCCK) it changes the colours, and those go to sharp anyway.
  return usualFrame && h.precision === 8 && (h.components === 1 || h.components === 3) && h.orientation === 1 && !h.iccProfile;
}

function startsWith(body: Uint8Array, tag: string): boolean {
  if (body.length < tag.length) return false;
  for (let i = 0; i < tag.length; i++) if (body[i] !== tag.charCodeAt(i)) return false;
  return true;
}

/** The orientation tag (0x0112) of IFD0 in a TIFF structure: 1 if absent, undefined if unreadable. */
function exifOrientation(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49; // "II"
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return undefined; // nor "MM"
  const u16 = (o: number) => (little ? tiff[o] | (tiff[o + 1] << 8) : (tiff[o] << 8) | tiff[o + 1]);
  const u32 = (o: number) => (little ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > tiff.length) return undefined;
    if (u16(e) === 0x0112) return u16(e + 8); // SHORT, value held in the entry itself
  }
  return 1;
}
