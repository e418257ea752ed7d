/**
 * Run by native-runtime-check.ts in a child process: loads a native ONNX Runtime package, opens a small model
 * and runs it once. Prints "started" first (so the parent knows this script ran at all), then "ok", or
 * "error: <message>" for an error JavaScript could catch; a child that started and then ends any other way (a
 * signal, no answer) crashed or hung where it would have taken the parent process with it.
 *
 *   node native-runtime-child.js <package directory> <model.onnx>
 */
import { writeSync } from 'node:fs';
import type * as OrtCommon from 'onnxruntime-common';

writeSync(1, 'started\n'); // written before the runtime loads, not left in a buffer a crash would lose

async function main(): Promise<void> {
  const [pkg, model] = process.argv.slice(2);
  if (!pkg || !model) throw new Error('usage: native-runtime-child.js <package directory> <model.onnx>');
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

main().then(
  () => {
    process.stdout.write('ok\n');
    process.exit(0);
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stdout.write(`error: ${message.split('\n')[0]}\n`);
    process.exit(0);
  },
);
