/**
 * Node-RED node `lightexnet-alert-out`: publishes alerts to MQTT without losing them while the broker is
 * away (src/core/events/mqtt-outbox.ts). It reads the broker's address and login from a core `mqtt-broker` config
 * node, so it fits flows that already have one, but runs its own MQTT.js client: the core client drops what
 * is published during an outage. `done` is called when the broker has acknowledged the alert.
 */
import { availabilityTopic, discoveryMessages, HA_STATUS_TOPIC } from '../core/events/ha-discovery';
import { MqttOutbox } from '../core/events/mqtt-outbox';
import { positiveInt } from './inference-node';
import { Node, NodeAPI, NodeDef } from './node-red-types';

/** What we read of a core mqtt-broker config node (set by its constructor). */
interface BrokerConfigNode {
  brokerurl?: string;
  username?: string;
  password?: string;
  options?: { protocolVersion?: 3 | 4 | 5; rejectUnauthorized?: boolean; ca?: unknown; cert?: unknown; key?: unknown };
}

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-alert-out', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this; // eslint-disable-line @typescript-eslint/no-this-alias -- used in callbacks below
    const broker = RED.nodes.getNode(typeof def.broker === 'string' ? def.broker : '') as BrokerConfigNode | undefined;
    if (!broker?.brokerurl) {
      node.status({ fill: 'red', shape: 'ring', text: 'no broker configured' });
      node.on('input', (_msg, _send, done) => done(new Error('lightexnet-alert-out: choose an MQTT broker in the node')));
      return;
    }
    const topicSetting = typeof def.topic === 'string' ? def.topic.trim() : '';
    const qos = ([0, 1, 2].includes(Number(def.qos)) ? Number(def.qos) : 1) as 0 | 1 | 2;
    const retain = def.retain === true || def.retain === 'true';
    // Frigate's and Home Assistant's MQTT camera convention: the latest picture, retained, on <topic>/snapshot.
    const publishSnapshot = def.snapshot !== false && def.snapshot !== 'false';
    // Home Assistant MQTT discovery: entities for these alerts (needs a fixed topic in the node).
    const haDiscovery = (def.haDiscovery === true || def.haDiscovery === 'true') && topicSetting !== '';
    const availability = availabilityTopic(topicSetting);
    const o = broker.options ?? {};
    const outbox = new MqttOutbox({
      url: broker.brokerurl,
      maxPending: Math.min(positiveInt(def.maxPending, 1000), 100_000),
      client: {
        username: broker.username || undefined,
        password: broker.password || undefined,
        clientId: `lightexnet-alerts-${node.id}`,
        protocolVersion: o.protocolVersion ?? 4,
        rejectUnauthorized: o.rejectUnauthorized,
        ca: o.ca as string | undefined,
        cert: o.cert as string | undefined,
        key: o.key as string | undefined,
        // The broker says "offline" for us if the connection drops without a goodbye.
        will: haDiscovery ? { topic: availability, payload: Buffer.from('offline'), qos: 1, retain: true } : undefined,
      },
    });
    if (haDiscovery) {
      const announce = () => {
        const name = typeof def.name === 'string' && def.name.trim() ? def.name.trim() : `LightExNet ${topicSetting}`;
        for (const m of discoveryMessages({ alertTopic: topicSetting, name })) {
          outbox.publish(m.topic, m.payload, { qos: 1, retain: true }).catch(() => undefined);
        }
        outbox.publish(availability, 'online', { qos: 1, retain: true }).catch(() => undefined);
      };
      // On every connect (a broker restart may have lost retained messages), and when Home Assistant restarts.
      outbox.client.on('connect', () => {
        announce();
        outbox.client.subscribe(HA_STATUS_TOPIC, { qos: 1 });
      });
      outbox.client.on('message', (t, payload) => {
        if (t === HA_STATUS_TOPIC && payload.toString() === 'online') announce();
      });
    }
    const show = () => {
      const waiting = outbox.pending ? ` · ${outbox.pending} waiting` : '';
      const lost = outbox.dropped ? ` · ${outbox.dropped} dropped` : '';
      node.status(
        outbox.connected
          ? { fill: 'green', shape: 'dot', text: `connected · ${outbox.delivered} sent${waiting}${lost}` }
          : { fill: 'yellow', shape: 'ring', text: `broker away${waiting}${lost}` },
      );
    };
    show();
    for (const ev of ['connect', 'close', 'offline']) outbox.client.on(ev as 'connect', show);

    node.on('input', (msg, _send, done) => {
      const topic = topicSetting || (typeof msg.topic === 'string' ? msg.topic : '');
      if (!topic) return done(new Error('no topic: set one in the node or in msg.topic'));
      const p = msg.payload;
      const payload = Buffer.isBuffer(p) ? p : typeof p === 'string' ? p : JSON.stringify(p ?? null);
      const picture =
        publishSnapshot && Buffer.isBuffer(msg.faceJpeg)
          ? msg.faceJpeg
          : Buffer.isBuffer(msg.frameJpeg) && publishSnapshot
            ? msg.frameJpeg
            : undefined;
      // The picture first: a consumer woken by the alert finds the matching picture already there.
      const sent = picture
        ? outbox.publish(`${topic}/snapshot`, picture, { qos, retain: true }).then(() => outbox.publish(topic, payload, { qos, retain }))
        : outbox.publish(topic, payload, { qos, retain });
      sent.then(
        () => {
          show();
          done();
        },
        (err: unknown) => {
          show();
          done(err instanceof Error ? err : new Error(String(err)));
        },
      );
      show();
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      // A goodbye cancels the last will: say "offline" ourselves (briefly waited for).
      const offline =
        haDiscovery && outbox.connected
          ? Promise.race([
              outbox.client.publishAsync(availability, 'offline', { qos: 1, retain: true }),
              new Promise((r) => setTimeout(r, 1000).unref()),
            ])
          : Promise.resolve();
      offline
        .catch(() => undefined)
        .then(() => outbox.close())
        .then(
          () => done(),
          () => done(),
        );
    });
  });
};
