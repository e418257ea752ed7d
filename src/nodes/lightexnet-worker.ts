/**
 * Node-RED node `lightexnet-worker`: makes this Node-RED an inference worker of a shared MQTT group
 * (src/core/distributed/frame-worker.ts). No input: it takes frames from $share/<group>/lightexnet/frames/#
 * on the chosen broker and publishes each result to lightexnet/results/<camera>; it also sends each result
 * on its output. Like lightexnet-alert-out it reads the broker's address and login from a core mqtt-broker
 * config node and runs its own MQTT.js connections (the core client acknowledges a frame when it arrives;
 * a worker must acknowledge after inference, so the broker sends it no more than it can take).
 */
import { hostname } from 'node:os';
import { ExpressionClassifier } from '../core/classification/expression-classifier';
import { FaceDetector } from '../core/detection/face-detector';
import { FrameWorker } from '../core/distributed/frame-worker';
import { WorkerResult } from '../core/distributed/frame-topics';
import { classifyFrame } from '../core/pipeline';
import { framesInFlight } from '../core/runtime/inference-pool';
import { WORKER_DEFAULTS } from './defaults';
import { numberIn, positiveInt } from './inference-node';
import { modelSettingsOf, openClassifier, openModels } from './model-settings';
import { Node, NodeAPI, NodeDef } from './node-red-types';

/** What we read of a core mqtt-broker config node (set by its constructor). */
interface BrokerConfigNode {
  brokerurl?: string;
  username?: string;
  password?: string;
  options?: { rejectUnauthorized?: boolean; ca?: unknown; cert?: unknown; key?: unknown };
}

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-worker', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this; // eslint-disable-line @typescript-eslint/no-this-alias -- used in callbacks below
    const d = WORKER_DEFAULTS;
    const broker = RED.nodes.getNode(typeof def.broker === 'string' ? def.broker : '') as BrokerConfigNode | undefined;
    if (!broker?.brokerurl) {
      node.status({ fill: 'red', shape: 'ring', text: 'no broker configured' });
      return;
    }
    const group = typeof def.group === 'string' && def.group.trim() ? def.group.trim() : d.group;
    const slots = Number(def.slots) >= 1 ? positiveInt(def.slots, 1) : framesInFlight();
    const maxAgeMs = numberIn(def.maxAgeSeconds, d.maxAgeSeconds, 0.1, 3600) * 1000;
    const o = broker.options ?? {};
    let worker: FrameWorker | undefined;
    let models: { detector: FaceDetector; classifier: ExpressionClassifier } | undefined;
    let closed = false;
    const isClosed = () => closed; // read after awaits: the close handler may have run meanwhile
    let lastStatus = 0;

    const show = (force = false) => {
      if (!worker || (!force && Date.now() - lastStatus < 1000)) return;
      lastStatus = Date.now();
      const s = worker.stats;
      const skipped = s.stale + s.failed ? ` · ${s.stale} stale · ${s.failed} failed` : '';
      node.status(
        worker.connected
          ? { fill: 'green', shape: 'dot', text: `${group}: ${s.processed} frames${skipped}` }
          : { fill: 'yellow', shape: 'ring', text: `broker away · ${s.processed} frames${skipped}` },
      );
    };

    node.status({ fill: 'yellow', shape: 'ring', text: 'loading model…' });
    const starting = (async () => {
      const s = modelSettingsOf(RED, def);
      const [detector, classifier] = await openModels(
        () => FaceDetector.create({ model: s.detector, threads: s.threads, runtime: s.runtime }),
        () => openClassifier(s),
      );
      models = { detector, classifier };
      if (isClosed()) return;
      worker = await FrameWorker.start({
        url: broker.brokerurl ?? '',
        group,
        // Unique per runtime: two gateways running the same imported flow have the same node id.
        workerId: `nr-${hostname()}-${process.pid}-${node.id}`,
        slots,
        maxAgeMs,
        client: {
          username: broker.username || undefined,
          password: broker.password || undefined,
          rejectUnauthorized: o.rejectUnauthorized,
          ca: o.ca as string | undefined,
          cert: o.cert as string | undefined,
          key: o.key as string | undefined,
        },
        infer: (frame) => classifyFrame(detector, classifier, frame),
      });
      if (isClosed()) return; // the close handler, waiting for this, closes it
      worker.on('result', (r: WorkerResult) => {
        node.send({ topic: `lightexnet/results/${r.camera}`, payload: r });
        show();
      });
      worker.on('status', () => show(true));
      worker.on('warning', (err: Error) => node.warn(err.message));
      show(true);
    })().catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      node.status({ fill: 'red', shape: 'ring', text: e.message.slice(0, 60) });
      node.error(`worker not started: ${e.message}`);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      void (async () => {
        // Models still loading finish first, then are released (see inference-node.ts: onnxruntime-node
        // aborts a process that exits while a worker thread opens a session).
        await starting;
        await worker?.close();
        await Promise.all([models?.detector.release(), models?.classifier.release()]);
      })().finally(() => {
        node.status({});
        done();
      });
    });
  });
};
