/**
 * An inference worker behind an MQTT 5 shared subscription: takes frames from
 * $share/<group>/lightexnet/frames/#, publishes a result for each to lightexnet/results/<camera>.
 *
 * Flow control: the worker has `slots` MQTT connections, each with receive maximum 1, so the broker has at
 * most one unacknowledged frame out to each. A frame is acknowledged only after its result has been
 * published on the same connection (TCP keeps the order: a broker that has the acknowledgement has the
 * result). One connection per slot because MQTT.js handles a connection's incoming packets one after
 * another: holding one acknowledgement holds that connection. Frames older than maxAgeMs are not inferred:
 * their result says skipped: 'stale', so the results side can move on at once.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import mqtt, { IClientOptions, MqttClient } from 'mqtt';
import { largestFace } from '../detection/largest-face';
import { parseFrameHeader, resultTopic, sharedFramesTopic, ResultFace, WorkerResult } from './frame-topics';

/** What inference gives for one frame (the pipeline's result, faces largest first or in any order). */
export interface Inferred {
  faces: ResultFace[];
  width: number;
  height: number;
}

export interface FrameWorkerOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  infer(frame: Buffer): Promise<Inferred>;
  /** Shared subscription group (default lightexnet). */
  group?: string;
  /** Identifies this worker in results and in its MQTT client ids (default <hostname>-<pid>). */
  workerId?: string;
  /** Frames inferred at once (default 2). */
  slots?: number;
  /** Frames older than this (capture time to arrival) are skipped, not inferred (default 5000). */
  maxAgeMs?: number;
  /** Extra MQTT.js options (username, password, TLS). */
  client?: IClientOptions;
  /** Clock (tests). */
  now?: () => number;
}

export interface FrameWorkerStats {
  processed: number;
  stale: number;
  failed: number;
  /** Frames without a usable header (acknowledged and dropped). */
  rejected: number;
  inFlight: number;
}

export const DEFAULT_MAX_AGE_MS = 5000;

export class FrameWorker extends EventEmitter {
  readonly workerId: string;
  readonly stats: FrameWorkerStats = { processed: 0, stale: 0, failed: 0, rejected: 0, inFlight: 0 };
  private readonly clients: MqttClient[] = [];
  private readonly subscribed = new Set<MqttClient>();
  private closed = false;

  private constructor(private readonly opts: FrameWorkerOptions) {
    super();
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
  }

  /**
   * Opens every slot. It does not wait for the broker: a worker started while the broker is away connects
   * (and subscribes, on every connect) when it comes, as after any outage; `connected` and the 'status'
   * event tell. It throws only on options MQTT.js refuses.
   */
  static start(opts: FrameWorkerOptions): Promise<FrameWorker> {
    const w = new FrameWorker(opts);
    const slots = Math.max(1, Math.floor(opts.slots ?? 2));
    for (let i = 0; i < slots; i++) w.openSlot(i);
    return Promise.resolve(w);
  }

  /** Resolves once every slot is connected and subscribed (tests, benchmarks). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const t0 = Date.now();
    while (this.subscribed.size < this.clients.length) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`${this.clients.length - this.subscribed.size} worker connection(s) not subscribed`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Connected slots now. */
  get connected(): number {
    return this.clients.filter((c) => c.connected).length;
  }

  private openSlot(i: number): void {
    const client = mqtt.connect(this.opts.url, {
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...this.opts.client,
      protocolVersion: 5,
      clientId: `${this.workerId}-${i}`.slice(0, 64),
      clean: true,
      resubscribe: false, // a clean session has no subscription: we subscribe on every connect
      properties: { ...this.opts.client?.properties, receiveMaximum: 1 },
      customHandleAcks: (topic, message, packet: { properties?: { userProperties?: Record<string, string | string[]> } }, ack) => {
        void this.handle(client, topic, message, packet.properties?.userProperties).finally(() => ack(0));
      },
    });
    client.on('error', (err) => this.emit('warning', err));
    client.on('close', () => {
      this.subscribed.delete(client);
      this.emit('status');
    });
    client.on('connect', () => {
      this.emit('status');
      if (this.closed) return;
      client.subscribe(sharedFramesTopic(this.opts.group), { qos: 1 }, (err) => {
        if (err) this.emit('warning', err);
        else this.subscribed.add(client);
      });
    });
    this.clients.push(client);
  }

  private async handle(client: MqttClient, topic: string, frame: Buffer, props: Record<string, string | string[]> | undefined) {
    const now = this.opts.now ?? Date.now;
    let header;
    try {
      header = parseFrameHeader(topic, props);
    } catch (err) {
      this.stats.rejected++;
      this.emit('warning', err);
      return;
    }
    const started = now();
    const base = { camera: header.camera, seq: header.seq, capturedAt: header.capturedAt, worker: this.workerId };
    let result: WorkerResult;
    if (started - header.capturedAt > (this.opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
      this.stats.stale++;
      result = { ...base, skipped: 'stale', faces: [], timings: { queuedMs: started - header.capturedAt, inferenceMs: 0 } };
    } else {
      this.stats.inFlight++;
      try {
        const r = await this.opts.infer(frame);
        const primary = largestFace(r.faces);
        this.stats.processed++;
        result = {
          ...base,
          faces: r.faces,
          expression: primary?.expression,
          confidence: primary?.confidence,
          width: r.width,
          height: r.height,
          timings: { queuedMs: started - header.capturedAt, inferenceMs: now() - started },
        };
      } catch (err) {
        this.stats.failed++;
        result = {
          ...base,
          skipped: 'error',
          error: err instanceof Error ? err.message : String(err),
          faces: [],
          timings: { queuedMs: started - header.capturedAt, inferenceMs: now() - started },
        };
      } finally {
        this.stats.inFlight--;
      }
    }
    // Not awaited: the broker's acknowledgement of this result arrives on this connection, which is held
    // until we acknowledge the frame; the frame's acknowledgement is written after the result.
    client.publish(resultTopic(header.camera), JSON.stringify(result), { qos: 1 }, (err) => {
      if (err && !this.closed) this.emit('warning', err);
    });
    this.emit('result', result);
  }

  /**
   * Leaves the group: unsubscribes (the broker assigns it no more frames), finishes the frames in hand
   * (up to graceMs), then disconnects. Frames still unacknowledged then stay with the broker, which keeps or
   * drops them (README: what each broker does).
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const topic = sharedFramesTopic(this.opts.group);
    const deadline = Date.now() + graceMs;
    const timeLeft = () => new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref());
    await Promise.race([
      Promise.all(this.clients.filter((c) => c.connected).map((c) => c.unsubscribeAsync(topic).catch(() => undefined))),
      timeLeft(),
    ]);
    while (this.stats.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // end(false) waits for the broker to acknowledge the results already published.
    await Promise.race([Promise.all(this.clients.map((c) => c.endAsync(false).catch(() => undefined))), timeLeft()]);
    await Promise.all(this.clients.filter((c) => !c.disconnected).map((c) => c.endAsync(true).catch(() => undefined)));
  }
}
