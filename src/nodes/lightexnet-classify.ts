/** Node-RED node `lightexnet-classify`: the expression of every face on the message. */
import { ExpressionClassifier } from '../core/classification/expression-classifier';
import { FaceDetector } from '../core/detection/face-detector';
import { checkFaces, looksLikeFaceList } from '../core/detection/face-input';
import { largestFace } from '../core/detection/largest-face';
import { decodeFrame } from '../core/image/frame-cache';
import { ImageInputError } from '../core/image/image';
import { CLASSIFY_DEFAULTS } from './defaults';
import { numberIn, positiveInt, readInferenceConfig, Releasable, setFrameResult, setupInferenceNode } from './inference-node';
import { modelSettingsOf, openClassifier, openModels } from './model-settings';
import { Node, NodeAPI, NodeDef } from './node-red-types';

type Mode = 'detect' | 'whole';

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-classify', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const d = CLASSIFY_DEFAULTS;
    // Without faces on the message: detect them here, or take the whole image as one face crop.
    const mode: Mode = def.mode === 'whole' || def.mode === 'detect' ? def.mode : d.mode;
    const maxPixels = numberIn(def.maxMegapixels, d.maxMegapixels, 0.01, 1000) * 1e6;
    const annotate = def.annotate === true || def.annotate === 'true';
    const cfg = readInferenceConfig(def);
    // Faces classified per message at most (the largest): an upstream list is not trusted to be small.
    const maxFaces = Math.min(positiveInt(def.maxFaces, d.maxFaces), 1000);
    let detector: FaceDetector | undefined;

    setupInferenceNode(
      this,
      cfg,
      async () => {
        const s = modelSettingsOf(RED, def);
        const [classifier, found] = await openModels(
          () => openClassifier(s),
          () =>
            mode === 'detect'
              ? FaceDetector.create({ model: s.detector, threads: s.threads, runtime: s.runtime })
              : Promise.resolve(undefined),
        );
        detector = found;
        const models: [ExpressionClassifier, ...Releasable[]] = detector ? [classifier, detector] : [classifier];
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
