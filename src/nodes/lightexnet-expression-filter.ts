/** Node-RED node `lightexnet-expression-filter`: per-frame expressions in, events worth acting on out. */
import { FILTER_DEFAULTS } from './defaults';
import { ExpressionFilter, FaceExpression, parseExpressions } from '../core/events/expression-filter';
import { numberIn, positiveInt } from './inference-node';
import { Node, NodeAPI, NodeDef, NodeMessage } from './node-red-types';

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
    let alerts = 0;
    node.status({ fill: 'grey', shape: 'ring', text: 'waiting' });

    node.on('input', (msg, send, done) => {
      try {
        if (msg.reset === true) {
          filter.reset(perTopic ? topicOf(msg) : undefined);
          node.status({ fill: 'grey', shape: 'ring', text: 'reset' });
          return done();
        }
        if (!isExpressionList(msg.payload)) {
          throw new TypeError('msg.payload must be the face list from lightexnet-classify (each with expression and confidence)');
        }
        const source = topicOf(msg);
        const events = filter.update(msg.payload, perTopic ? source : '', Date.now());
        // The event message keeps the rest of msg but not the frame: alerts go to MQTT, frames don't.
        const out = (ev: (typeof events)[number]): NodeMessage => {
          const m: NodeMessage = { ...msg, payload: ev, topic: alertTopic || source };
          delete m.image;
          delete m.annotated;
          return m;
        };
        for (const ev of events) {
          if (ev.event === 'alert') {
            alerts++;
            send([out(ev), null]);
            node.status({ fill: 'green', shape: 'dot', text: `${ev.expression} (${alerts} alert${alerts === 1 ? '' : 's'})` });
          } else {
            send([null, out(ev)]);
            node.status({ fill: 'grey', shape: 'dot', text: `cleared ${ev.expression}` });
          }
        }
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
    node.on('close', (_removed, done) => {
      filter.reset();
      node.status({});
      done();
    });
  });
};

/** msg.topic as the filter's source key: a camera's topic ('' when there is none). */
function topicOf(msg: { topic?: unknown }): string {
  const t = msg.topic;
  return typeof t === 'string' ? t : typeof t === 'number' || typeof t === 'boolean' ? String(t) : t == null ? '' : JSON.stringify(t);
}
