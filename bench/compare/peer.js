'use strict';
/**
 * One pipeline in a process of its own (run.js forks one per system): loads it, answers
 * { op: 'run', frame, count } with per-frame times and { op: 'stream', frame, seconds, inFlight } with frames
 * per second, and reports its cold start and memory.
 * Systems: ours-native, ours-wasm (LIGHTEXNET_BACKEND=wasm), human (BlazeFace + emotion), faceapi-tiny
 * (TinyFaceDetector + expressions), faceapi-ssd (SSD MobileNet v1 + expressions); peers on tfjs WASM.
 */
const path = require('node:path');
const http = require('node:http');
const fs = require('node:fs');

const system = process.argv[2];
const ROOT = path.join(__dirname, '..', '..');
const MODULES = path.join(__dirname, 'node_modules');
const here = (m) => path.join(MODULES, m);
const sharp = require(require.resolve('sharp', { paths: [ROOT] }));

/** Serves a model folder on loopback: tfjs in Node without tfjs-node loads models over HTTP only. */
function serve(dir) {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent(req.url.split('?')[0])));
    if (!file.startsWith(dir) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      r(`http://127.0.0.1:${server.address().port}/`);
    }),
  );
}

/** JPEG -> RGB tensor for the tfjs pipelines (the decode is part of every system's time). */
async function toTensor(tf, jpeg) {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
}

async function load() {
  if (system === 'ours-native' || system === 'ours-wasm') {
    if (system === 'ours-wasm') process.env.LIGHTEXNET_BACKEND = 'wasm';
    const core = require(path.join(ROOT, 'dist', 'core'));
    // Both models load at once, as a flow's two nodes do when it is deployed.
    const [detector, classifier] = await Promise.all([core.FaceDetector.create(), core.ExpressionClassifier.create()]);
    return {
      label: `${system === 'ours-wasm' ? 'ours, WASM' : 'ours, native'} (BlazeFace full + LightExNet, ${classifier.views} view${classifier.views > 1 ? 's' : ''})`,
      async infer(jpeg) {
        const r = await core.classifyFrame(detector, classifier, jpeg);
        return r.faces.map((f) => f.expression);
      },
    };
  }
  const wasmDir = here('@tensorflow/tfjs-backend-wasm/dist/');
  if (system === 'human') {
    const { Human } = require(here('@vladmandic/human/dist/human.node-wasm.js'));
    const base = await serve(here('@vladmandic/human/models'));
    const off = { enabled: false };
    const human = new Human({
      backend: 'wasm',
      wasmPath: `file://${wasmDir}`,
      modelBasePath: base,
      debug: false,
      warmup: 'none',
      cacheSensitivity: 0, // no result reuse between frames: every frame is inferred
      face: {
        enabled: true,
        detector: { rotation: false, maxDetected: 20, skipFrames: 0, skipTime: 0 },
        mesh: off,
        iris: off,
        description: off,
        attention: off,
        antispoof: off,
        liveness: off,
        emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
      },
      body: off,
      hand: off,
      object: off,
      gesture: off,
      segmentation: off,
      filter: off,
    });
    human.tf.wasm?.setWasmPaths?.(wasmDir);
    await human.load();
    return {
      label: 'Human 3.3 (BlazeFace + emotion, tfjs WASM)',
      async infer(jpeg) {
        const t = await toTensor(human.tf, jpeg);
        const r = await human.detect(t);
        human.tf.dispose(t);
        return r.face.map((f) => f.emotion?.[0]?.emotion);
      },
    };
  }
  if (system === 'faceapi-tiny' || system === 'faceapi-ssd') {
    const faceapi = require(here('@vladmandic/face-api/dist/face-api.node-wasm.js'));
    faceapi.tf.setWasmPaths(wasmDir);
    await faceapi.tf.setBackend('wasm');
    await faceapi.tf.ready();
    const base = await serve(here('@vladmandic/face-api/model'));
    const tiny = system === 'faceapi-tiny';
    await (tiny ? faceapi.nets.tinyFaceDetector : faceapi.nets.ssdMobilenetv1).loadFromUri(base);
    await faceapi.nets.faceExpressionNet.loadFromUri(base);
    const opts = tiny ? new faceapi.TinyFaceDetectorOptions() : new faceapi.SsdMobilenetv1Options();
    return {
      label: `face-api 1.7 (${tiny ? 'TinyFaceDetector' : 'SSD MobileNet v1'} + expressions, tfjs WASM)`,
      async infer(jpeg) {
        const t = await toTensor(faceapi.tf, jpeg);
        const r = await faceapi.detectAllFaces(t, opts).withFaceExpressions();
        faceapi.tf.dispose(t);
        return r.map((f) => Object.entries(f.expressions).sort((a, b) => b[1] - a[1])[0][0]);
      },
    };
  }
  throw new Error(`unknown system ${system}`);
}

(async () => {
  const t0 = performance.now();
  const p = await load();
  let first = true;
  process.on('message', async (m) => {
    const jpeg = Buffer.from(m.frame, 'base64');
    if (m.op === 'stream') {
      // A stream of frames with m.inFlight of them in the pipeline at once (what a node does with a camera
      // that sends faster than it infers), for m.seconds: frames per second from the first start to the last
      // finish. Long enough that filling and draining the pipeline (a frame time or two) do not count.
      let done = 0;
      const t = performance.now();
      const until = t + m.seconds * 1000;
      const lane = async () => {
        while (performance.now() < until) {
          await p.infer(jpeg);
          done++;
        }
      };
      await Promise.all(Array.from({ length: m.inFlight }, lane));
      process.send({ framesPerS: (done * 1000) / (performance.now() - t) });
      return;
    }
    const ms = [];
    let labels;
    for (let i = 0; i < m.count; i++) {
      const t = performance.now();
      labels = await p.infer(jpeg);
      ms.push(performance.now() - t);
      if (first) {
        first = false;
        process.send({ coldStartMs: performance.now() - t0 });
      }
    }
    process.send({ label: p.label, ms, labels, rssMB: process.memoryUsage().rss / 1e6 });
  });
  process.send({ ready: true, loadMs: performance.now() - t0 });
})().catch((err) => {
  process.send({ error: err.stack || String(err) });
  process.exit(1);
});
