'use strict';
/**
 * Frames per second through the core pipeline (decode, detect, classify) at default settings: one
 * inference worker with one frame in flight (a frame at a time, as before worker threads), one worker with
 * two, and N workers with N + 2 in flight (what the nodes do: the extra frames decode while the workers
 * infer); checks that all give the same answers. 640x480 JPEG frames, three faces each. Prints JSON.
 *
 *   npm run build && node bench/throughput.js [--frames 300] [--workers 2] [--views N]
 */
const { parseArgs } = require('node:util');
const { execFileSync } = require('node:child_process');

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '300' },
    workers: { type: 'string', default: '2' },
    views: { type: 'string' },
    child: { type: 'string' },
    'in-flight': { type: 'string' },
  },
});

async function measure(workers) {
  process.env.LIGHTEXNET_WORKERS = String(workers);
  const { FaceDetector, ExpressionClassifier, classifyFrame } = require('../dist/core');
  const frame = (await require('./support/frames').benchFrames())[3];
  const detector = await FaceDetector.create();
  const classifier = await ExpressionClassifier.create({ views: values.views ? Number(values.views) : undefined });
  await require('../dist/core/runtime/inference-pool').sharedPool(Math.max(1, workers)).settled();
  const inFlight = Number(values['in-flight'] || workers + 2);
  for (let i = 0; i < 10; i++) await classifyFrame(detector, classifier, frame); // warm-up
  const frames = Number(values.frames);
  let next = 0;
  const answers = new Set();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < frames) {
        const r = await classifyFrame(detector, classifier, Buffer.from(frame));
        answers.add(JSON.stringify(r.faces));
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const mainThreadBusy = Math.round(performance.eventLoopUtilization(elu0).utilization * 100) / 100;
  await Promise.all([detector.release(), classifier.release()]);
  return {
    workers,
    inFlight,
    frames,
    fps: Math.round((frames / s) * 10) / 10,
    msPerFrame: Math.round(((s * 1000) / frames) * 100) / 100,
    mainThreadBusy,
    faces: JSON.parse([...answers][0]).length,
    distinctAnswers: answers.size,
    answer: [...answers][0],
    views: classifier.views,
  };
}

async function main() {
  if (values.child) {
    console.log(JSON.stringify(await measure(Number(values.child))));
    return;
  }
  // Each configuration in its own process: the pool's size is fixed per process.
  const run = (w, inFlight) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          __filename,
          '--child',
          String(w),
          '--in-flight',
          String(inFlight),
          '--frames',
          values.frames,
          ...(values.views ? ['--views', values.views] : []),
        ],
        { encoding: 'utf8' },
      ),
    );
  const n = Number(values.workers);
  const runs = [run(1, 1), run(1, 2), run(n, n + 2)];
  const row = (r) => ({ workers: r.workers, inFlight: r.inFlight, fps: r.fps, msPerFrame: r.msPerFrame, mainThreadBusy: r.mainThreadBusy });
  console.log(
    JSON.stringify(
      {
        frames: runs[0].frames,
        facesPerFrame: runs[0].faces,
        views: runs[0].views,
        runs: runs.map(row),
        speedupOverOneAtATime: Math.round((runs[2].fps / runs[0].fps) * 100) / 100,
        sameAnswers: runs.every((r) => r.answer === runs[0].answer && r.distinctAnswers === 1),
      },
      null,
      2,
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
