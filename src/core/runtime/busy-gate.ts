/**
 * Bounds the work waiting for an inference node. Camera flows send frames faster than a small CPU can
 * process them; rather than queue without limit, a frame that arrives while busy is dropped (default),
 * replaces the one waiting (keep latest), or waits in a bounded queue. Dropped jobs get `onDrop`, so
 * Node-RED can complete their messages. "Busy" means `concurrency` jobs running (one per inference
 * worker and one decoding); the gate does not order their results (inference-node.ts does).
 */
export const BUSY_POLICIES = ['drop', 'latest', 'queue'] as const;
export type BusyPolicy = (typeof BUSY_POLICIES)[number];

export interface BusyGateOptions {
  policy: BusyPolicy;
  /** Queue length for 'queue' (at least 1). */
  queueSize: number;
  /** Jobs that may run at once (default 1). */
  concurrency?: number;
}

export interface Job<T> {
  value: T;
  run: (value: T) => Promise<void>;
  onDrop: (value: T) => void;
}

export class BusyGate<T> {
  private active = 0;
  private readonly waiting: Job<T>[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private closed = false;
  dropped = 0;
  processed = 0;

  constructor(private readonly opts: BusyGateOptions) {
    if (!BUSY_POLICIES.includes(opts.policy)) throw new RangeError(`unknown busy policy "${opts.policy}"`);
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
  }

  get pending(): number {
    return this.waiting.length + this.active;
  }

  push(job: Job<T>): void {
    if (this.closed) return this.drop(job);
    if (this.active < this.concurrency) return this.start(job);
    const cap = this.opts.policy === 'drop' ? 0 : this.opts.policy === 'latest' ? 1 : Math.max(1, this.opts.queueSize);
    if (cap === 0) return this.drop(job);
    if (this.waiting.length >= cap) {
      // keep latest: the waiting frame is stale, the new one replaces it; a full queue refuses the new one.
      if (this.opts.policy === 'latest') this.drop(this.waiting.shift() as Job<T>);
      else return this.drop(job);
    }
    this.waiting.push(job);
  }

  private drop(job: Job<T>): void {
    this.dropped++;
    job.onDrop(job.value);
  }

  private start(job: Job<T>): void {
    this.active++;
    // run() reports its own errors; the gate only keeps going.
    void job
      .run(job.value)
      .catch(() => undefined)
      .then(() => {
        this.active--;
        this.processed++;
        const next = this.waiting.shift();
        if (next) this.start(next);
        else if (this.active === 0) this.idleWaiters.splice(0).forEach((r) => r());
      });
  }

  /** Resolves when no job runs (after close(): when the running ones have finished). */
  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /** Drops everything waiting (on close); the running jobs finish. */
  close(): void {
    this.closed = true;
    while (this.waiting.length) this.drop(this.waiting.shift() as Job<T>);
  }
}
