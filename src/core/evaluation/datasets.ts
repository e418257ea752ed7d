/**
 * The datasets `lightexnet eval` reads, scored with metrics.ts: FER2013 in shared/data's packed layout
 * (with the Training duplicates scored apart), a folder per expression (CK+ crops, your own photos), and
 * RAF-DB basic.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ExpressionClassifier } from '../classification/expression-classifier';
import { DetectorModel, FaceDetector } from '../detection/face-detector';
import { largestFace } from '../detection/largest-face';
import { decodeImage } from '../image/image';
import { evaluate, expectedCalibrationError, median } from './metrics';

/** Folder names people use for the seven FER classes, mapped to our labels. */
const LABEL_ALIASES: Record<string, string> = {
  anger: 'angry',
  angry: 'angry',
  disgust: 'disgust',
  disgusted: 'disgust',
  fear: 'fear',
  fearful: 'fear',
  happy: 'happy',
  happiness: 'happy',
  sad: 'sad',
  sadness: 'sad',
  surprise: 'surprise',
  surprised: 'surprise',
  neutral: 'neutral',
};

async function readFerSplit(dir: string, split: string): Promise<{ x: Buffer; y: Buffer }> {
  const x = await readFile(path.join(dir, `${split}_x.u8`));
  const y = await readFile(path.join(dir, `${split}_y.u8`));
  if (x.length !== y.length * 48 * 48) throw new Error(`${split}: ${y.length} labels but ${x.length / 2304} images`);
  return { x, y };
}

export interface FerEvalOptions {
  /**
   * Score the product's path instead of the crops themselves: each image becomes a frame (fer2013Frame),
   * the detector finds the face, and the classifier gets the crop the nodes would give it. Images where the
   * detector finds no face are counted (facesMissed) and left out of the scores.
   */
  detector?: FaceDetector;
  /** Only the first N images of each split (quick checks). */
  limit?: number;
  /** With the detector: where each image goes in its frame (default FER_FRAME; see ferFrameForFaceWidth). */
  frame?: FerFrameLayout;
}

/** How a FER2013 image is shown to the detector by default: upscaled 4x (bilinear), in the middle of a frame. */
export const FER_FRAME = { upscale: 4, width: 384, height: 384 } as const;

/** Where a FER2013 image goes in its frame: scaled by `upscale`, centred in a width x height frame. */
export interface FerFrameLayout {
  upscale: number;
  width: number;
  height: number;
}

/**
 * The layout that shows a FER2013 image `facePx` pixels wide (`--face-px`), in a frame twice as wide as the
 * image, as FER_FRAME is: the detector (which letterboxes any frame to its input size) sees the face as it does
 * by default, and the crop the classifier gets has only the pixels of a face that size. What it measures is what
 * fewer pixels cost the classifier; whether the detector finds such a face in a wider frame is another question.
 * (Not a 640x480 frame: its repeated edges smear across most of it, and there the full-range detector missed
 * most faces under ~100 pixels, which it finds in whole photos.)
 */
export function ferFrameForFaceWidth(facePx: number): FerFrameLayout {
  if (!(facePx >= 12 && facePx <= 480)) throw new RangeError(`the face width must be 12 to 480 pixels, not ${facePx}`);
  const side = Math.round(2 * facePx);
  return { upscale: facePx / 48, width: side, height: side };
}

/**
 * A 48x48 FER2013 image as a camera frame: scaled (bilinear at pixel centres) into the middle of a grey frame
 * whose border repeats the image's edge pixels, so the face has context around it.
 */
export function fer2013Frame(
  px: Uint8Array,
  layout: FerFrameLayout = FER_FRAME,
): { data: Uint8Array; width: number; height: number; channels: 1 } {
  const { upscale, width, height } = layout;
  const data = new Uint8Array(width * height);
  const at = (o: number, pad: number) => Math.min(47, Math.max(0, (o - pad + 0.5) / upscale - 0.5));
  const padX = (width - 48 * upscale) / 2;
  const padY = (height - 48 * upscale) / 2;
  for (let oy = 0; oy < height; oy++) {
    const cy = at(oy, padY);
    const y0 = Math.floor(cy);
    const y1 = Math.min(47, y0 + 1);
    const wy = cy - y0;
    for (let ox = 0; ox < width; ox++) {
      const cx = at(ox, padX);
      const x0 = Math.floor(cx);
      const x1 = Math.min(47, x0 + 1);
      const wx = cx - x0;
      const top = px[y0 * 48 + x0] * (1 - wx) + px[y0 * 48 + x1] * wx;
      const bottom = px[y1 * 48 + x0] * (1 - wx) + px[y1 * 48 + x1] * wx;
      data[oy * width + ox] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return { data, width, height, channels: 1 };
}

/**
 * FER2013 in the packed layout of shared/data (48x48 grey, raw): crops go to the model unchanged, or,
 * with opts.detector, through the detector and the face crop as in the nodes.
 */
export async function evalFer2013(classifier: ExpressionClassifier, dir: string, split: string, opts: FerEvalOptions = {}) {
  const splits = split === 'test' ? ['publictest', 'privatetest'] : [split];
  if (!splits.every((s) => ['publictest', 'privatetest', 'train'].includes(s))) {
    throw new Error(`--split must be privatetest, publictest or test, not "${split}"`);
  }
  const { input } = classifier.manifest;
  if (input.width !== 48 || input.height !== 48) throw new Error('this model does not take 48x48 crops');
  const truth: number[] = [];
  const predicted: number[] = [];
  const confidence: number[] = [];
  // Test images whose pixels also occur in Training (288 of PrivateTest): scored apart as well.
  const inTraining: boolean[] = [];
  const labels = classifier.labels;
  const trainHashes = split === 'train' ? new Set<string>() : await imageHashes(dir, 'train');
  const { detector } = opts;
  const layout = opts.frame ?? FER_FRAME;
  let images = 0;
  let facesMissed = 0;
  const boxWidths: number[] = [];
  for (const s of splits) {
    const { x, y } = await readFerSplit(dir, s);
    const n = Math.min(y.length, opts.limit ?? y.length);
    images += n;
    // Through the detector, a few frames in flight keep every inference worker busy.
    const chunk = detector ? 8 : 256;
    for (let i = 0; i < n; i += chunk) {
      const crops = Array.from({ length: Math.min(chunk, n - i) }, (_, j) => x.subarray((i + j) * 2304, (i + j + 1) * 2304));
      const res: ({ expression: string; confidence: number } | undefined)[] = detector
        ? await Promise.all(
            crops.map(async (px) => {
              const frame = await decodeImage(fer2013Frame(px, layout));
              const face = largestFace(await detector.detect(frame));
              if (face) boxWidths.push(face.box.width);
              return face ? (await classifier.classifyFaces(frame, [face]))[0] : undefined;
            }),
          )
        : await classifier.classifyCrops(crops);
      res.forEach((r, j) => {
        if (!r) {
          facesMissed++;
          return;
        }
        truth.push(y[i + j]);
        predicted.push(labels.indexOf(r.expression));
        confidence.push(r.confidence);
        inTraining.push(trainHashes.has(hash(crops[j])));
      });
    }
  }
  const keep = inTraining.map((d) => !d);
  const pick = <T>(a: T[]) => a.filter((_, i) => keep[i]);
  const dedup = evaluate(labels, pick(truth), pick(predicted));
  return {
    dataset: 'fer2013',
    split,
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    ...(detector
      ? {
          throughDetector: {
            model: detector.model,
            frame: `each 48x48 image scaled ${+layout.upscale.toFixed(3)}x (bilinear) in a ${layout.width}x${layout.height} frame, edges repeated`,
            images,
            facesMissed,
            boxWidthMedian: median(boxWidths),
            note: 'scores are over the images where a face was found',
          },
        }
      : {}),
    ...evaluate(labels, truth, predicted),
    ece: expectedCalibrationError(
      confidence,
      truth.map((t, i) => t === predicted[i]),
    ),
    deduplicated: {
      n: dedup.n,
      accuracy: dedup.accuracy,
      left_out: truth.length - dedup.n,
      note: 'images not pixel-identical to any Training image',
    },
  };
}

const hash = (px: Uint8Array) => createHash('sha1').update(px).digest('hex');

async function imageHashes(dir: string, split: string): Promise<Set<string>> {
  const x = await readFile(path.join(dir, `${split}_x.u8`));
  const out = new Set<string>();
  for (let o = 0; o + 2304 <= x.length; o += 2304) out.add(hash(x.subarray(o, o + 2304)));
  return out;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|avif|bmp)$/i;

export async function evalFolder(classifier: ExpressionClassifier, dir: string, detect: boolean, model: DetectorModel, threads: number) {
  const labels = classifier.labels;
  const detector = detect ? await FaceDetector.create({ model, threads }) : undefined;
  const truth: number[] = [];
  const predicted: number[] = [];
  const skipped: string[] = []; // folders that name no label of the model
  let noFace = 0;
  try {
    for (const sub of (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      const label = LABEL_ALIASES[sub.name.toLowerCase()] ?? sub.name.toLowerCase();
      const t = labels.indexOf(label);
      if (t < 0) {
        skipped.push(sub.name);
        continue;
      }
      for (const f of (await readdir(path.join(dir, sub.name))).filter((n) => IMAGE_EXT.test(n)).sort()) {
        const img = await decodeImage(await readFile(path.join(dir, sub.name, f)));
        let expression: string | undefined;
        if (detector) {
          const faces = await detector.detect(img);
          const largest = largestFace(faces);
          if (largest) expression = (await classifier.classifyFaces(img, [largest]))[0].expression;
        } else {
          expression = (await classifier.classifyWhole(img)).expression;
        }
        truth.push(t);
        // A missed face counts as a wrong answer (predicted -1 is no class).
        if (expression === undefined) noFace++;
        predicted.push(expression === undefined ? (t + 1) % labels.length : labels.indexOf(expression));
      }
    }
  } finally {
    await detector?.release();
  }
  return { dataset: dir, detect, facesMissed: noFace, skippedFolders: skipped, ...evaluate(labels, truth, predicted) };
}

/** RAF-DB basic labels 1..7 in its own order. */
const RAFDB_LABELS = ['surprise', 'fear', 'disgust', 'happy', 'sad', 'angry', 'neutral'];

/** RAF-DB "basic" layout: EmoLabel/list_patition_label.txt ("test_0001.jpg 5") and Image/aligned/test_0001_aligned.jpg (100x100). */
export async function evalRafdb(classifier: ExpressionClassifier, dir: string, split: string) {
  if (split !== 'test' && split !== 'train') throw new Error(`--split for RAF-DB must be test or train, not "${split}"`);
  const list = await readFile(path.join(dir, 'EmoLabel', 'list_patition_label.txt'), 'utf8');
  const labels = classifier.labels;
  const truth: number[] = [];
  const predicted: number[] = [];
  for (const line of list.split(/\r?\n/)) {
    const [name, code] = line.trim().split(/\s+/);
    if (!name || !name.startsWith(`${split}_`)) continue;
    const t = labels.indexOf(RAFDB_LABELS[Number(code) - 1]);
    if (t < 0) throw new Error(`RAF-DB label "${code}" of ${name} is not one of 1..7`);
    const file = path.join(dir, 'Image', 'aligned', name.replace(/\.jpg$/i, '_aligned.jpg'));
    const img = await decodeImage(await readFile(file));
    truth.push(t);
    predicted.push(labels.indexOf((await classifier.classifyWhole(img)).expression));
  }
  if (truth.length === 0) throw new Error(`no ${split} images listed in ${dir}/EmoLabel/list_patition_label.txt`);
  return { dataset: 'rafdb-basic', split, ...evaluate(labels, truth, predicted) };
}
