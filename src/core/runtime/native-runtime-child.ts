/**
 * Run by native-runtime-check.ts in a child process: loads a native ONNX Runtime package, opens a small model
 * and runs it once; then, if the package carries libjpeg-turbo's decoder (jpeg-turbo/, turbo-jpeg.ts), loads
 * it and decodes a small JPEG. Prints "started" first (so the parent knows this script ran at all), "runtime
 * ok" once the model ran, "decoder loading" before the decoder loads and "decoder ok" or "decoder error:
 * <message>" after, then "ok"; or "error: <message>" for an error JavaScript could catch while testing the
 * runtime. A child that started and then ends any other way (a signal, no answer) crashed or hung where it
 * would have taken the parent process with it; the last line says which library did.
 *
 *   node native-runtime-child.js <package directory> <model.onnx>
 */
import { existsSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type * as OrtCommon from 'onnxruntime-common';

/** Written at once, not left in a buffer a crash would lose. */
const say = (line: string) => writeSync(1, `${line}\n`);
say('started');

/** A 16x8 JPEG of one colour (sharp, quality 50). */
const SMALL_JPEG =
  '/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAABf/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/ALACyL//2Q==';

async function testRuntime(pkg: string, model: string): Promise<void> {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package under test, by path
  const ort = require(pkg) as typeof OrtCommon;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const feeds: Record<string, OrtCommon.Tensor> = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor) throw new Error(`input ${m.name} is not a tensor`);
    const dims = m.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    feeds[m.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  await session.run(feeds);
  await session.release();
}

/** The binding's own API (turbo-jpeg.ts has its types): decompress(jpeg, out, { format }). */
interface Binding {
  FORMAT_RGB: number;
  decompress(jpeg: Buffer, out: Buffer, opts: { format: number }): Promise<{ width: number; height: number }>;
}

async function testDecoder(binding: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the binding under test, by path
  const jt = require(binding) as Binding;
  const out = Buffer.alloc(16 * 8 * 3);
  const r = await jt.decompress(Buffer.from(SMALL_JPEG, 'base64'), out, { format: jt.FORMAT_RGB });
  if (r.width !== 16 || r.height !== 8) throw new Error(`decoded a 16x8 JPEG as ${r.width}x${r.height}`);
  if (Math.abs(out[0] - 0xc0) > 8 || Math.abs(out[1] - 0x80) > 8 || Math.abs(out[2] - 0x40) > 8) {
    throw new Error(`decoded #c08040 as ${Array.from(out.subarray(0, 3)).join(',')}`);
  }
}

async function main(): Promise<void> {
  const [pkg, model] = process.argv.slice(2);
  if (!pkg || !model) throw new Error('usage: native-runtime-child.js <package directory> <model.onnx>');
  try {
    await testRuntime(pkg, model);
  } catch (err) {
    say(`error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    return;
  }
  say('runtime ok');
  const binding = path.join(pkg, 'jpeg-turbo', 'node-napi-v7.node');
  if (existsSync(binding)) {
    say('decoder loading');
    try {
      await testDecoder(binding);
      say('decoder ok');
    } catch (err) {
      say(`decoder error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
  }
  say('ok');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    process.exit(0);
  },
);
