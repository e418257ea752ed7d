/**
 * Build-time conversion of MediaPipe's BlazeFace .tflite files (from @mediapipe/face_detection, a
 * development dependency) to the ONNX graphs shipped in models/ (scripts/convert-blazeface.js). Not on the
 * runtime path: the nodes load the converted files.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BLAZEFACE, DetectorModel } from './face-detector';
import { readTflite } from './tflite-reader';
import { ConvertedModel, tfliteToOnnx } from './tflite-to-onnx';

export function mediapipeModelDir(): string {
  try {
    return path.dirname(require.resolve('@mediapipe/face_detection/package.json'));
  } catch {
    throw new Error('the @mediapipe/face_detection package is not installed: it provides the BlazeFace weights');
  }
}

const converted = new Map<string, Promise<ConvertedModel>>();

/** Reads and converts a BlazeFace .tflite file (once per process). */
export function convertBlazeFace(model: DetectorModel, modelDir = mediapipeModelDir()): Promise<ConvertedModel> {
  const file = path.join(modelDir, BLAZEFACE[model].file);
  let p = converted.get(file);
  if (!p) {
    p = (async () => {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new Error(`cannot read the BlazeFace model ${file}: ${(err as Error).message}`, { cause: err });
      }
      return tfliteToOnnx(readTflite(bytes), `blazeface_${model}`);
    })();
    converted.set(file, p);
    p.catch(() => converted.delete(file));
  }
  return p;
}
