/** Node-RED node `lightexnet-classify`: the expression of every face on the message. */
import { ExpressionClassifier } from '../core/classification/expression-classifier';
import { DetectorModel, FaceDetector } from '../core/detection/face-detector';
import { checkFaces, looksLikeFaceList } from '../core/detection/face-input';
import { largestFace } from '../core/detection/largest-face';
import { decodeFrame } from '../core/image/frame-cache';
import { ImageInputError } from '../core/image/image';
import { CLASSIFY_DEFAULTS } from './defaults';
import { numberIn, positiveInt, readInferenceConfig, Releasable, setFrameResult, setupInferenceNode } from './inference-node';
import { Node, NodeAPI, NodeDef } from './node-red-types';

type Mode = 'detect' | 'whole';

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-classify', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const d = CLASSIFY_DEFAULTS;
    const modelName = typeof def.classifier === 'string' && def.classifier.trim() ? def.classifier.trim() : d.classifier;
    // Without faces on the message: detect them here, or take the whole image as one face crop.
    const mode: Mode = def.mode === 'whole' || def.mode === 'detect' ? def.mode : d.mode;
    const detectorModel: DetectorModel = def.detector === 'short' || def.detector === 'full' ? def.detector : d.detector;
    const maxPixels = numberIn(def.maxMegapixels, d.maxMegapixels, 0.01, 1000) * 1e6;
    const annotate = def.annotate === true || def.annotate === 'true';
    const cfg = readInferenceConfig(def);
    // Faces classified per message at most (the largest): an upstream list is not trusted to be small.
    const maxFaces = Math.min(positiveInt(def.maxFaces, d.maxFaces), 1000);
    // '' = the model's default; otherwise 1, 2 or 6 test-time views per face.
    const views = def.views === undefined || def.views === '' ? undefined : Number(def.views);
    let detector: FaceDetector | undefined;

    setupInferenceNode(
      this,
      cfg,
      async () => {
        // Both models load at once (the detector's conversion overlaps the classifier's session).
        const [classifier, found] = await Promise.allSettled([
          ExpressionClassifier.create({ model: modelName, threads: cfg.threads, views }),
          mode === 'detect' ? FaceDetector.create({ model: detectorModel, threads: cfg.threads }) : Promise.resolve(undefined),
        ]);
        if (classifier.status === 'rejected' || found.status === 'rejected') {
          if (classifier.status === 'fulfilled') await classifier.value.release();
          if (found.status === 'fulfilled') await found.value?.release();
          throw (classifier.status === 'rejected' ? classifier.reason : (found as PromiseRejectedResult).reason) as Error;
        }
        detector = found.value;
        const models: [ExpressionClassifier, ...Releasable[]] = detector ? [classifier.value, detector] : [classifier.value];
        return models;
      },
      async ([classifier], msg, send) => {
        const t0 = performance.now();
        // Faces from lightexnet-face-detect (frame in msg.image), or a frame to find or take the face in.
        const given = looksLikeFaceList(msg.payload) ? msg.payload : undefined;
        const frame = given ? msg.image : msg.payload;
        if (given && frame === undefined) throw new ImageInputError('msg.payload holds faces but msg.image has no frame to crop them from');
        const img = await decodeFrame(frame, { maxPixels });
        let results;
        if (given) {
          // Checked and clipped before any pixel work; the largest maxFaces are classified.
          const checked = checkFaces(given, img.width, img.height, maxFaces);
          if (checked.capped) msg.facesCapped = checked.capped;
          results = await classifier.classifyFaces(img, checked.faces);
        } else if (mode === 'detect' && detector) {
          results = await classifier.classifyFaces(img, (await detector.detect(img)).slice(0, maxFaces));
        } else {
          const whole = { box: { x: 0, y: 0, width: img.width, height: img.height }, score: 1, keypoints: [] };
          results = [{ ...whole, ...(await classifier.classifyWhole(img)) }];
        }
        const ms = performance.now() - t0;
        const primary = largestFace(results);
        const warning = await setFrameResult(msg, frame, img, results, ms, annotate);
        msg.expression = primary?.expression;
        msg.confidence = primary?.confidence;
        send(msg);
        return { faces: results.length, ms, warning };
      },
    );
  });
};
