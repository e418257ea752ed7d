/**
 * Alerts that survive a broker outage. Node-RED's core `mqtt out` publishes only while connected: what is
 * sent during an outage is dropped and its `done` never called. The outbox keeps alerts in a bounded FIFO
 * while the broker is away and hands them to MQTT.js one at a time, each when the previous one has been
 * acknowledged (QoS 1 PUBACK), so they arrive in order and each `publish()` settles exactly once: resolved on
 * the broker's acknowledgement, rejected when dropped (outbox full: the oldest goes) or closed.
 *
 * QoS 1 is "at least once": an alert whose acknowledgement was lost in the outage is sent again after the
 * reconnect. Events carry an id (lightexnet-expression-filter's `id`) so a consumer can drop such a duplicate.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface OutboxOptions {
  /** mqtt://host:port, mqtts://…, ws://… */
  url: string;
  /** Passed to MQTT.js (username, password, clientId, TLS …). */
  client?: IClientOptions;
  /** Alerts held while the broker is away, at most (the oldest is dropped beyond). */
  maxPending?: number;
}

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

interface Pending {
  topic: string;
  payload: string | Buffer;
  opts: Required<PublishOptions>;
  resolve: () => void;
  reject: (err: Error) => void;
}

export const DEFAULT_MAX_PENDING = 1000;
const RETRY_MS = 1000;

export class MqttOutbox {
  readonly client: MqttClient;
  private readonly queue: Pending[] = [];
  private readonly maxPending: number;
  /** The alert handed to MQTT.js and not yet acknowledged (always queue[0]). */
  private inFlight: Pending | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  delivered = 0;
  dropped = 0;

  constructor(opts: OutboxOptions) {
    this.maxPending = Math.max(1, Math.floor(opts.maxPending ?? DEFAULT_MAX_PENDING));
    this.client = mqtt.connect(opts.url, { reconnectPeriod: 1000, connectTimeout: 10_000, ...opts.client });
    this.client.on('connect', () => this.pump());
    this.client.on('error', () => undefined); // reported through the 'offline'/'close' state; MQTT.js reconnects
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Alerts waiting for the broker, the one in flight included. */
  get pending(): number {
    return this.queue.length;
  }

  publish(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('the MQTT outbox is closed'));
      if (this.queue.length >= this.maxPending) {
        // The oldest waiting alert goes (never the one in flight: it may already be at the broker).
        const at = this.inFlight ? 1 : 0;
        const old = this.queue.splice(at, 1).at(0);
        if (old) {
          this.dropped++;
          old.reject(new Error(`${this.maxPending} alerts were waiting for the broker: the oldest was dropped`));
        }
      }
      this.queue.push({ topic, payload, opts: { qos: opts.qos ?? 1, retain: opts.retain ?? false }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed || this.inFlight || !this.client.connected || this.queue.length === 0) return;
    const head = this.queue[0];
    this.inFlight = head;
    this.client.publish(head.topic, head.payload, head.opts, (err) => {
      if (this.inFlight !== head) return; // closed meanwhile
      this.inFlight = undefined;
      if (err) {
        // Not acknowledged: it stays first in line and goes again (on reconnect, or after a pause).
        if (!this.closed) this.retryTimer = setTimeout(() => this.pump(), RETRY_MS);
        return;
      }
      this.queue.shift();
      this.delivered++;
      head.resolve();
      this.pump();
    });
  }

  /** Stops: what still waits is rejected (not delivered), the connection closes. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.inFlight = undefined;
    for (const p of this.queue.splice(0)) p.reject(new Error('the MQTT outbox closed before the broker took this alert'));
    await this.client.endAsync(true);
  }
}
