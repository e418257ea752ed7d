'use strict';
/**
 * JPEG decode of a 640x480 frame, each process on its own: through the core (decodeImage: libjpeg-turbo from
 * the native runtime package, src/core/image/turbo-jpeg.ts), through the core with LIGHTEXNET_JPEG_DECODER=sharp
 * (sharp, after freeing one large block so that glibc keeps frame buffers mapped; src/core/image/image.ts), and
 * through sharp alone, the same sharp pipeline without that. Median ms and page faults per decode, one process
 * per row, the kinds taking turns. Prints JSON.
 *
 *   npm run build && node bench/decode.js [--processes 4] [--decodes 500]
 */
const { parseArgs } = require('node:util');
const { execFileSync } = require('node:child_process');

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '4' },
    decodes: { type: 'string', default: '500' },
    child: { type: 'string' },
  },
});

async function measure(kind) {
  const frame = (await require('./support/frames').benchFrames())[1];
  let decode;
  if (kind.startsWith('core')) {
    const { decodeImage } = require('../dist/core');
    decode = () => decodeImage(frame);
  } else {
    const sharp = require('sharp');
    decode = () => sharp(frame, { failOn: 'truncated' }).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer();
  }
  for (let i = 0; i < 30; i++) await decode();
  const ms = [];
  const f0 = process.resourceUsage().minorPageFault;
  for (let i = 0; i < Number(values.decodes); i++) {
    const t0 = performance.now();
    await decode();
    ms.push(performance.now() - t0);
  }
  const faults = (process.resourceUsage().minorPageFault - f0) / ms.length;
  ms.sort((a, b) => a - b);
  const decoder = kind.startsWith('core') && (await require('../dist/core/image/turbo-jpeg').turboJpeg()) ? 'libjpeg-turbo' : 'sharp';
  return { kind, decoder, ms: Math.round(ms[ms.length >> 1] * 100) / 100, faultsPerDecode: Math.round(faults) };
}

if (values.child !== undefined) {
  measure(values.child).then((r) => console.log(JSON.stringify(r)));
} else {
  const rows = [];
  for (let p = 0; p < Number(values.processes); p++) {
    for (const kind of ['core', 'core, sharp', 'sharp alone']) {
      const args = [__filename, '--decodes', values.decodes, '--child', kind];
      const env = { ...process.env, LIGHTEXNET_JPEG_DECODER: kind === 'core, sharp' ? 'sharp' : undefined };
      rows.push(JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', env })));
    }
  }
  console.log(JSON.stringify({ decodes: Number(values.decodes), rows }, null, 1));
}
