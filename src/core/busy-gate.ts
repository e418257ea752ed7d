/**
 * Bounds the work waiting for an inference node. Camera flows send frames faster than a small CPU can
 * process them; rather than queue without limit, a frame that arrives while busy is dropped (default),
 * replaces the one waiting (keep latest), or waits in a bounded queue. Dropped jobs get `onDrop`, so
 * Node-RED can complete their messages.
 */
export type BusyPolicy = 'drop' | 'latest' | 'queue';

export interface BusyGateOptions {
  policy: BusyPolicy;
  /** Queue length for 'queue' (at least 1). */
  queueSize: number;
}

export interface Job<T> {
  value: T;
  run: (value: T) => Promise<void>;
  onDrop: (value: T) => void;
}

export class BusyGate<T> {
  private busy = false;
  /** The loop that runs jobs, while one runs. */
  private running: Promise<void> | undefined;
  private readonly waiting: Job<T>[] = [];
  private closed = false;
  dropped = 0;
  processed = 0;

  constructor(private readonly opts: BusyGateOptions) {
    if (!['drop', 'latest', 'queue'].includes(opts.policy)) throw new RangeError(`unknown busy policy "${opts.policy}"`);
  }

  get pending(): number {
    return this.waiting.length + (this.busy ? 1 : 0);
  }

  push(job: Job<T>): void {
    if (this.closed) return this.drop(job);
    if (!this.busy) {
      this.running = this.start(job);
      return;
    }
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

  private async start(job: Job<T>): Promise<void> {
    this.busy = true;
    let next: Job<T> | undefined = job;
    while (next) {
      try {
        await next.run(next.value);
      } catch {
        // run() reports its own errors; the gate only keeps going.
      }
      this.processed++;
      next = this.waiting.shift();
    }
    this.busy = false;
    this.running = undefined;
  }

  /** Resolves when no job runs (after close(): when the running one has finished). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Drops everything waiting (on close); the running job finishes. */
  close(): void {
    this.closed = true;
    while (this.waiting.length) this.drop(this.waiting.shift() as Job<T>);
  }
}
