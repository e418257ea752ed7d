/** Node-RED node `lightexnet-face-detect`: BlazeFace on the frame in msg.payload. */
import { FaceDetector } from '../core/detection/face-detector';
import { decodeFrame } from '../core/image/frame-cache';
import { encodeCropJpeg } from '../core/image/image';
import { FACE_DETECT_DEFAULTS } from './defaults';
import { numberIn, positiveInt, readInferenceConfig, setFrameResult, setupInferenceNode } from './inference-node';
import { modelSettingsOf } from './model-settings';
import { Node, NodeAPI, NodeDef } from './node-red-types';

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-face-detect', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const d = FACE_DETECT_DEFAULTS;
    const minScore = numberIn(def.minScore, d.minScore, 0, 1);
    const minFaceSize = numberIn(def.minFaceSize, d.minFaceSize, 0, 100000);
    const maxFaces = positiveInt(def.maxFaces, d.maxFaces);
    const maxPixels = numberIn(def.maxMegapixels, d.maxMegapixels, 0.01, 1000) * 1e6;
    const annotate = def.annotate === true || def.annotate === 'true';
    const checkLandmarks = def.checkLandmarks !== false && def.checkLandmarks !== 'false';
    const crops = def.crops === true || def.crops === 'true';
    const cfg = readInferenceConfig(def);
    setupInferenceNode(
      this,
      cfg,
      async () => {
        // Its own detector is called `model` (from before the config node).
        const { detector: model, threads, runtime } = modelSettingsOf(RED, def, 'model');
        return [await FaceDetector.create({ model, minScore, minFaceSize, maxFaces, checkLandmarks, threads, runtime })];
      },
      async ([detector], msg, send) => {
        const t0 = performance.now();
        const frame = msg.payload;
        const img = await decodeFrame(frame, { maxPixels });
        const faces = await detector.detect(img);
        const ms = performance.now() - t0;
        const warning = await setFrameResult(msg, frame, img, faces, ms, annotate);
        // One JPEG per face, in msg.payload's order (the face list itself stays plain data).
        if (crops) msg.crops = await Promise.all(faces.map((f) => encodeCropJpeg(img, f.box)));
        send(msg);
        return { faces: faces.length, ms, warning };
      },
    );
  });
};
