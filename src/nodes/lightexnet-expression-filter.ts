/** Node-RED node `lightexnet-expression-filter`: per-frame expressions in, events worth acting on out. */
import { FILTER_DEFAULTS } from './defaults';
import { EventStream, StreamMessage } from '../core/events/event-stream';
import { ExpressionFilter, FaceExpression, parseExpressions } from '../core/events/expression-filter';
import { isWorkerResult } from '../core/distributed/frame-topics';
import { annotateJpeg } from '../core/image/annotate';
import { decodeFrame } from '../core/image/frame-cache';
import { encodeCropJpeg } from '../core/image/image';
import { ResultSequencer } from '../core/distributed/result-sequencer';
import { numberIn, positiveInt } from './inference-node';
import { Node, NodeAPI, NodeDef, NodeMessage, SendFn } from './node-red-types';

const isExpressionList = (v: unknown): v is FaceExpression[] =>
  Array.isArray(v) &&
  v.every(
    (f) =>
      typeof f === 'object' &&
      f !== null &&
      typeof (f as FaceExpression).expression === 'string' &&
      typeof (f as FaceExpression).confidence === 'number',
  );

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-expression-filter', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this; // eslint-disable-line @typescript-eslint/no-this-alias -- used in callbacks below
    let filter: ExpressionFilter;
    try {
      filter = new ExpressionFilter({
        expressions: parseExpressions(def.expressions),
        minConfidence: numberIn(def.minConfidence, FILTER_DEFAULTS.minConfidence, 0, 1),
        holdFrames: positiveInt(def.holdFrames, FILTER_DEFAULTS.holdFrames),
        holdMs: numberIn(def.holdSeconds, FILTER_DEFAULTS.holdSeconds, 0, 86400) * 1000,
        cooldownMs: numberIn(def.cooldownSeconds, FILTER_DEFAULTS.cooldownSeconds, 0, 86400) * 1000,
        changeOnly: def.changeOnly !== false && def.changeOnly !== 'false',
        releaseFrames: positiveInt(def.releaseFrames, FILTER_DEFAULTS.releaseFrames),
      });
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: (err as Error).message });
      throw err;
    }
    const perTopic = def.perTopic !== false && def.perTopic !== 'false';
    const alertTopic = typeof def.alertTopic === 'string' ? def.alertTopic.trim() : '';
    // Results from MQTT workers arrive in any order: put each camera's back in frame order first.
    const reorderWindow = Math.min(Math.max(0, Math.floor(Number(def.reorderWindow) || 0)), 1000);
    const sequencer = reorderWindow > 0 ? new ResultSequencer<NodeMessage>({ window: reorderWindow }) : undefined;
    // The evidence an alert carries: the face's picture and/or the labelled frame, as JPEG.
    const snapshot = (['none', 'face', 'frame', 'both'] as const).find((v) => v === def.snapshot) ?? FILTER_DEFAULTS.snapshot;
    // Output 3: the alerts as a Frigate-style stream of events (new / update / end).
    const stream = new EventStream();
    const streamTopic = alertTopic ? `${alertTopic}/events` : 'lightexnet/events';
    let alerts = 0;
    // Events leave in the order they happened, also when one waits for its pictures.
    let sending: Promise<void> = Promise.resolve();
    node.status({ fill: 'grey', shape: 'ring', text: 'waiting' });

    /** Puts the pictures on an alert message: msg.faceJpeg (the alerting face) and/or msg.frameJpeg. */
    const attachSnapshots = async (m: NodeMessage, frame: unknown, faces: FaceExpression[], expression: string) => {
      if (snapshot === 'none' || frame === undefined) return;
      try {
        const img = await decodeFrame(frame); // the classify node's decode, from the frame cache
        const boxed = (faces as (FaceExpression & { box?: unknown })[]).filter((f): f is FaceExpression & { box: BoxLike } => isBox(f.box));
        const best = boxed
          .filter((f) => f.expression === expression)
          .sort((a, b) => b.confidence - a.confidence)
          .at(0);
        if ((snapshot === 'face' || snapshot === 'both') && best) m.faceJpeg = await encodeCropJpeg(img, best.box);
        if (snapshot === 'frame' || snapshot === 'both') m.frameJpeg = await annotateJpeg(img, boxed);
      } catch (err) {
        // The alert stands without its picture.
        m.snapshotError = err instanceof Error ? err.message : String(err);
      }
    };

    /** Runs one frame's faces through the filter and sends its events (the promise settles once they are sent). */
    const filterFrame = (msg: NodeMessage, send: SendFn): Promise<void> => {
      const source = topicOf(msg);
      const result = isWorkerResult(msg.payload) ? msg.payload : undefined;
      if (result?.skipped) return sending; // a frame the worker did not infer says nothing about the faces
      const faces: unknown = result ? result.faces : msg.payload;
      if (!isExpressionList(faces)) {
        throw new TypeError(
          'msg.payload must be the face list from lightexnet-classify (each with expression and confidence) or a lightexnet-worker result',
        );
      }
      // A worker's result is timed by the frame's capture, not by when it arrived.
      const now = result ? result.capturedAt : Date.now();
      const key = perTopic ? source : '';
      const events = filter.update(faces, key, now);
      const streamOut = (s: StreamMessage | undefined): NodeMessage | null => {
        if (!s) return null;
        const m: NodeMessage = { ...msg, payload: s, topic: streamTopic };
        delete m.image;
        delete m.annotated;
        return m;
      };
      // A running event gets an update when this frame shows its expression more confidently.
      if (!events.length && stream.has(key)) {
        const upd = streamOut(stream.frame(key, faces));
        if (upd) sending = sending.then(() => send([null, null, upd]));
      }
      // The event message keeps the rest of msg but not the frame: alerts go to MQTT, frames don't.
      const out = (ev: (typeof events)[number]): NodeMessage => {
        const m: NodeMessage = { ...msg, payload: ev, topic: alertTopic || source };
        delete m.image;
        delete m.annotated;
        return m;
      };
      for (const ev of events) {
        const m = out(ev);
        // The stream's state changes now (later frames of this call may update it); its message leaves
        // with the event's, in order.
        const picture = snapshot !== 'none' && msg.image !== undefined;
        const streamed = streamOut(ev.event === 'alert' ? stream.alert(ev, key, now, picture) : stream.cleared(key, now));
        sending = sending.then(async () => {
          if (ev.event === 'alert') {
            await attachSnapshots(m, msg.image, faces, ev.expression);
            alerts++;
            send([m, null, streamed]);
            node.status({ fill: 'green', shape: 'dot', text: `${ev.expression} (${alerts} alert${alerts === 1 ? '' : 's'})` });
          } else {
            send([null, m, streamed]);
            node.status({ fill: 'grey', shape: 'dot', text: `cleared ${ev.expression}` });
          }
        });
      }
      return sending;
    };
    const sendLater: SendFn = (m) => node.send(m);
    const release = (msgs: NodeMessage[]) => {
      for (const m of msgs) {
        try {
          void filterFrame(m, sendLater);
        } catch (err) {
          node.error(err, m);
        }
      }
    };
    // A missing result is waited for at most the sequencer's maxWaitMs: this releases what waited behind it.
    const flushTimer = sequencer ? setInterval(() => release(sequencer.flush().flatMap((f) => f.items)), 250) : undefined;

    node.on('input', (msg, send, done) => {
      try {
        if (msg.reset === true) {
          filter.reset(perTopic ? topicOf(msg) : undefined);
          sequencer?.reset(perTopic ? topicOf(msg) : undefined);
          stream.reset(perTopic ? topicOf(msg) : undefined);
          node.status({ fill: 'grey', shape: 'ring', text: 'reset' });
          return done();
        }
        if (sequencer && isWorkerResult(msg.payload)) {
          release(sequencer.push(topicOf(msg), msg.payload.seq, msg));
          return done();
        }
        filterFrame(msg, send).then(
          () => done(),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        );
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      if (flushTimer) clearInterval(flushTimer);
      filter.reset();
      stream.reset();
      node.status({});
      done();
    });
  });
};

interface BoxLike {
  x: number;
  y: number;
  width: number;
  height: number;
}

const isBox = (b: unknown): b is BoxLike =>
  typeof b === 'object' && b !== null && ['x', 'y', 'width', 'height'].every((k) => Number.isFinite((b as Record<string, unknown>)[k]));

/** msg.topic as the filter's source key: a camera's topic ('' when there is none). */
function topicOf(msg: { topic?: unknown }): string {
  const t = msg.topic;
  return typeof t === 'string' ? t : typeof t === 'number' || typeof t === 'boolean' ? String(t) : t == null ? '' : JSON.stringify(t);
}
