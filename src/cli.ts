/**
 * lightexnet: the command line over src/core.
 *
 *   lightexnet detect IMAGE [--model short|full] [--json]
 *   lightexnet classify IMAGE [--model short|full] [--classifier NAME|PATH] [--json]
 *   lightexnet eval --fer2013 DIR --split privatetest|publictest|test [--classifier ...] [--detect [--face-px W]] [--limit N]
 *   lightexnet eval --folder DIR [--detect] [--classifier ...]
 *   lightexnet eval --rafdb DIR [--split test|train]
 *   lightexnet bench IMAGE [--runs N]
 *   lightexnet worker --broker URL [--group G] [--slots N] [--max-age-ms MS] [--id NAME]
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ExpressionClassifier } from './core/classification/expression-classifier';
import { DetectorModel, Face, FaceDetector } from './core/detection/face-detector';
import { decodeImage } from './core/image/image';
import { EvalReport, median } from './core/evaluation/metrics';
import { evalFer2013, evalFolder, evalRafdb, ferFrameForFaceWidth } from './core/evaluation/datasets';
import type { BackendInfo } from './core/runtime/onnx-backend';
import { classifyFrame, detectFrame } from './core/pipeline';
import { workerCommand } from './worker-command';
import { warnIfCacheUnused } from './cache-notice';

const USAGE = `usage:
  lightexnet detect IMAGE [--model short|full] [--min-score S] [--json]
  lightexnet classify IMAGE [--model short|full] [--classifier NAME|PATH] [--json]
  lightexnet eval --fer2013 DIR --split privatetest|publictest|test [--classifier NAME|PATH] [--detect [--model M] [--face-px W]] [--limit N]
  lightexnet eval --folder DIR [--detect] [--model short|full] [--classifier NAME|PATH]
  lightexnet eval --rafdb DIR [--split test|train]   (RAF-DB basic: EmoLabel/list_patition_label.txt, Image/aligned/)
  lightexnet bench IMAGE [--runs N] [--threads N]
  lightexnet worker --broker mqtt://HOST:PORT [--group lightexnet] [--slots N] [--max-age-ms 5000] [--id NAME]
      (takes frames from $share/GROUP/lightexnet/frames/#, publishes results to lightexnet/results/<camera>)
options: --model full (default) or short; --threads N (intra-op threads, default 1); --views N (test-time views per face: 1, 2 or 6; default:
  the model's); --level-beyond DEG (faces tilted more are turned back to DEG degrees before classifying; default 16,
  off: never); --face-px W (eval --fer2013 --detect: each image W pixels wide in a frame twice that, not 192 in 384);
  LIGHTEXNET_BACKEND=wasm forces the WASM runtime`;

const OPTIONS = {
  model: { type: 'string', default: 'full' },
  classifier: { type: 'string' },
  json: { type: 'boolean', default: false },
  'min-score': { type: 'string' },
  threads: { type: 'string', default: '1' },
  views: { type: 'string' },
  'level-beyond': { type: 'string' },
  fer2013: { type: 'string' },
  split: { type: 'string', default: 'privatetest' },
  folder: { type: 'string' },
  rafdb: { type: 'string' },
  detect: { type: 'boolean', default: false },
  limit: { type: 'string' },
  'face-px': { type: 'string' },
  runs: { type: 'string', default: '50' },
  broker: { type: 'string' },
  group: { type: 'string' },
  slots: { type: 'string' },
  'max-age-ms': { type: 'string' },
  id: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const model = values.model;
  if (model !== 'short' && model !== 'full') throw new Error(`--model must be short or full, not "${model}"`);
  const threads = Number(values.threads);
  switch (command) {
    case 'detect':
      return detectCommand(needImage(rest), model, threads, values);
    case 'classify':
      return classifyCommand(needImage(rest), model, threads, values);
    case 'eval':
      return evalCommand(model, threads, values);
    case 'bench':
      return benchCommand(needImage(rest), threads, values);
    case 'worker':
      return workerCommand({
        broker: values.broker,
        group: values.group,
        slots: values.slots,
        maxAgeMs: values['max-age-ms'],
        id: values.id,
        model,
        threads,
        views: viewCount(values),
        classifier: values.classifier,
      });
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

function needImage(rest: string[]): string {
  if (rest.length !== 1) throw new Error(`expected one IMAGE argument\n${USAGE}`);
  return rest[0];
}

function viewCount(v: Values): number | undefined {
  if (v.views === undefined) return undefined;
  const n = Number(v.views);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--views must be a whole number of views (1, 2 or 6), not "${v.views}"`);
  return n;
}

/** --level-beyond DEG (tilts beyond DEG degrees are levelled; off: never). */
function levelBeyond(v: Values): number | undefined {
  const s = v['level-beyond'];
  if (s === undefined) return undefined;
  if (s === 'off') return Infinity;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`--level-beyond must be degrees >= 0 or "off", not "${s}"`);
  return n;
}

function backendLine(b: BackendInfo): string {
  return b.fallbackReason ? `${b.name} (${b.fallbackReason})` : b.name;
}

async function detectCommand(file: string, model: DetectorModel, threads: number, v: Values): Promise<number> {
  const minScore = v['min-score'] === undefined ? undefined : Number(v['min-score']);
  const detector = await FaceDetector.create({ model, threads, minScore });
  warnIfCacheUnused(detector);
  try {
    const r = await detectFrame(detector, await readFile(file));
    if (v.json) {
      // fallbackReason: why the WASM runtime runs, when it is the fallback (absent otherwise)
      const { fallbackReason } = detector.backendInfo;
      console.log(JSON.stringify({ faces: r.faces, width: r.width, height: r.height, model, backend: detector.backend, fallbackReason }));
    } else {
      console.log(`${file}: ${r.width}x${r.height}, ${r.faces.length} face(s) [BlazeFace ${model}, ${backendLine(detector.backendInfo)}]`);
      for (const f of r.faces) console.log(`  ${fmtBox(f)} score ${f.score.toFixed(3)}`);
    }
  } finally {
    await detector.release();
  }
  return 0;
}

async function classifyCommand(file: string, model: DetectorModel, threads: number, v: Values): Promise<number> {
  const options = { model: v.classifier, threads, views: viewCount(v), levelBeyond: levelBeyond(v) }; // bad values fail before any model loads
  const detector = await FaceDetector.create({ model, threads });
  const classifier = await ExpressionClassifier.create(options).catch(async (e: unknown) => {
    await detector.release();
    throw e;
  });
  warnIfCacheUnused(detector, classifier);
  try {
    const r = await classifyFrame(detector, classifier, await readFile(file));
    if (v.json) {
      console.log(
        JSON.stringify({
          faces: r.faces,
          width: r.width,
          height: r.height,
          model,
          classifier: classifier.manifest.name,
          views: classifier.views,
          backend: classifier.backend,
          fallbackReason: classifier.backendInfo.fallbackReason, // absent unless the WASM runtime is the fallback
        }),
      );
    } else {
      console.log(
        `${file}: ${r.width}x${r.height}, ${r.faces.length} face(s) [${classifier.manifest.name}, ${backendLine(detector.backendInfo)}]`,
      );
      for (const f of r.faces) console.log(`  ${fmtBox(f)} ${f.expression} ${(f.confidence * 100).toFixed(1)}%`);
    }
  } finally {
    await Promise.all([detector.release(), classifier.release()]);
  }
  return 0;
}

const fmtBox = (f: Face) =>
  `box x=${Math.round(f.box.x)} y=${Math.round(f.box.y)} w=${Math.round(f.box.width)} h=${Math.round(f.box.height)}`;

async function evalCommand(model: DetectorModel, threads: number, v: Values): Promise<number> {
  const classifier = await ExpressionClassifier.create({ model: v.classifier, threads, views: viewCount(v), levelBeyond: levelBeyond(v) });
  warnIfCacheUnused(classifier);
  try {
    let report: EvalReport & Record<string, unknown>;
    if (v.fer2013) report = await evalFer2013Command(classifier, v.fer2013, model, threads, v);
    else if (v.folder) report = await evalFolder(classifier, v.folder, v.detect, model, threads);
    else if (v.rafdb) report = await evalRafdb(classifier, v.rafdb, v.split === 'privatetest' ? 'test' : v.split);
    else throw new Error(`eval needs --fer2013 DIR, --folder DIR or --rafdb DIR\n${USAGE}`);
    console.log(JSON.stringify({ model: classifier.manifest.name, backend: classifier.backend, views: classifier.views, ...report }));
  } finally {
    await classifier.release();
  }
  return 0;
}

/** FER2013 as crops, or with --detect through the detector as the nodes see a face (see evalFer2013). */
async function evalFer2013Command(classifier: ExpressionClassifier, dir: string, model: DetectorModel, threads: number, v: Values) {
  const limit = v.limit === undefined ? undefined : Number(v.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new Error(`--limit must be a whole number above 0, not "${v.limit}"`);
  const facePx = v['face-px'] === undefined ? undefined : Number(v['face-px']);
  if (facePx !== undefined && !Number.isFinite(facePx)) throw new Error(`--face-px must be a face width in pixels, not "${v['face-px']}"`);
  if (facePx !== undefined && !v.detect)
    throw new Error('--face-px places each image in a camera frame for the detector: it needs --detect');
  const frame = facePx === undefined ? undefined : ferFrameForFaceWidth(facePx);
  const detector = v.detect ? await FaceDetector.create({ model, threads }) : undefined;
  try {
    return await evalFer2013(classifier, dir, v.split, { detector, limit, frame });
  } finally {
    await detector?.release();
  }
}

async function benchCommand(file: string, threads: number, v: Values): Promise<number> {
  const runs = Math.max(1, Number(v.runs));
  const img = await decodeImage(await readFile(file));
  const out: Record<string, unknown> = { image: path.basename(file), width: img.width, height: img.height, threads, runs };
  const classifier = await ExpressionClassifier.create({ model: v.classifier, threads, views: viewCount(v), levelBeyond: levelBeyond(v) });
  warnIfCacheUnused(classifier);
  for (const model of ['short', 'full'] as const) {
    const detector = await FaceDetector.create({ model, threads });
    const times: number[] = [];
    let faces: Face[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t = performance.now();
      faces = await detector.detect(img);
      if (i >= 3) times.push(performance.now() - t);
    }
    out[`detect_${model}_ms`] = round2(median(times));
    out[`faces_${model}`] = faces.length;
    if (model === 'short' && faces.length) {
      const ct: number[] = [];
      for (let i = 0; i < runs + 3; i++) {
        const t = performance.now();
        await classifier.classifyFaces(img, faces.slice(0, 1));
        if (i >= 3) ct.push(performance.now() - t);
      }
      out.classify_one_face_ms = round2(median(ct));
    }
    await detector.release();
  }
  out.backend = classifier.backend;
  await classifier.release();
  console.log(JSON.stringify(out));
  return 0;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
