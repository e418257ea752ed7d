#!/usr/bin/env node
'use strict';
/**
 * Assembles src/core/image/resample-kernels.wat (WebAssembly text, SIMD) into dist/core/image/ with wabt,
 * next to the compiled resample-wasm.js that loads it. Run by `npm run build` after tsc.
 */
const fs = require('node:fs');
const path = require('node:path');
const loadWabt = require('wabt');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'src', 'core', 'image', 'resample-kernels.wat');
const TARGET = path.join(ROOT, 'dist', 'core', 'image', 'resample-kernels.wasm');

async function main() {
  const wabt = await loadWabt();
  const parsed = wabt.parseWat(path.basename(SOURCE), fs.readFileSync(SOURCE, 'utf8'), { simd: true });
  try {
    parsed.validate();
    const { buffer } = parsed.toBinary({});
    fs.mkdirSync(path.dirname(TARGET), { recursive: true });
    fs.writeFileSync(TARGET, buffer);
    console.log(`build-kernels: ${path.relative(ROOT, TARGET)} (${buffer.length} bytes)`);
  } finally {
    parsed.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
