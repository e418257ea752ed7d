/**
 * node:crypto, loaded when first needed, and a cheap hash for cache file names.
 *
 * Why: loading node:crypto takes ~6 ms of a thread (and its first hash ~0.5 ms), and a later start with its
 * models cached needs no hashing of bytes at all, in Node-RED's thread or in the inference worker, where
 * both are on the way to the first result. What a start does need is names for the cache's files, which
 * only have to tell a few dozen entries apart in a folder of our own: keyHash does that without the module.
 */
import type * as Crypto from 'node:crypto';

let loaded: typeof Crypto | undefined;

export function crypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at first use (see above)
  loaded ??= require('node:crypto') as typeof Crypto;
  return loaded;
}

export const sha256Hex = (bytes: Uint8Array | string): string => crypto().createHash('sha256').update(bytes).digest('hex');

/**
 * 20 hex digits naming `text`: two 53-bit cyrb53 hashes (a public-domain string hash by bryc) with different
 * seeds. Not for integrity or secrets: a file's contents are checked by its sha256.
 */
export function keyHash(text: string): string {
  return (cyrb53(text, 0).toString(16).padStart(14, '0') + cyrb53(text, 0x9e3779b9).toString(16).padStart(14, '0')).slice(0, 20);
}

function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
