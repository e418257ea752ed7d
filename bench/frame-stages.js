'use strict';
/**
 * One 640x480 1-face frame at a time through the core at default settings (classifyFrame), median ms of the
 * whole frame and of its stages (decode; detect = letterbox + network + boxes; classify = crops + views),
 * with inference in the calling thread and in one worker (the whole frame in one trip, stages timed there):
 * what the trip to the worker costs. Prints JSON.
 *
 *   npm run build && node bench/frame-stages.js [--frames 300] [--detector short|full] [--views N]
 *
 * --detector and --views replace the defaults (full range; the model's default views).
 */
const { parseArgs } = require('node:util');
const { execFileSync } = require('node:child_process');

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '300' },
    detector: { type: 'string' },
    views: { type: 'string' },
    child: { type: 'string' },
  },
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[s.length >> 1] * 100) / 100;
};

async function measure(workers) {
  process.env.LIGHTEXNET_WORKERS = String(workers);
  const { FaceDetector, ExpressionClassifier, classifyFrame } = require('../dist/core');
  const frame = (await require('./support/frames').benchFrames())[1];
  const [detector, classifier] = await Promise.all([
    FaceDetector.create(values.detector ? { model: values.detector } : {}),
    ExpressionClassifier.create(values.views ? { views: Number(values.views) } : {}),
  ]);
  if (workers > 0) await require('../dist/core/runtime/inference-pool').sharedPool(workers).settled();
  for (let i = 0; i < 20; i++) await classifyFrame(detector, classifier, frame); // warm-up
  const t = { frame: [], decode: [], detect: [], classify: [] };
  let faces = 0;
  for (let i = 0; i < Number(values.frames); i++) {
    const t0 = performance.now();
    const r = await classifyFrame(detector, classifier, frame);
    t.frame.push(performance.now() - t0);
    for (const k of ['decode', 'detect', 'classify']) t[k].push(r.ms[k]);
    faces = r.faces.length;
  }
  await Promise.all([detector.release(), classifier.release()]);
  const out = { workers, detector: detector.model, views: classifier.views, faces };
  for (const [k, v] of Object.entries(t)) out[`${k}_ms`] = median(v);
  return out;
}

if (values.child !== undefined) {
  measure(Number(values.child)).then((r) => console.log(JSON.stringify(r)));
} else {
  // Each setting in its own process: a pool, once started, stays for the process.
  const rows = [0, 1].map((w) =>
    JSON.parse(execFileSync(process.execPath, [__filename, ...process.argv.slice(2), '--child', String(w)], { encoding: 'utf8' })),
  );
  console.log(JSON.stringify({ frames: Number(values.frames), rows }, null, 1));
}
