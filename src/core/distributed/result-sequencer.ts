/**
 * Puts each camera's results back in frame order. Workers finish frames out of order (a slow worker, a
 * worker that died, QoS 1 redelivery), but the expression filter's "held for 3 frames" needs them in order.
 * Per camera: results wait in a bounded window for the ones before them; a missing frame is given up
 * (counted as lost) once `window` later results are waiting or it is `maxWaitMs` overdue; a result that comes
 * again or after its turn is dropped (counted).
 */
export interface SequencerOptions {
  /** Results held per camera while an earlier one is missing. */
  window: number;
  /** How long an earlier result is waited for, at most (flush() applies it). */
  maxWaitMs: number;
  /** Cameras remembered at most; the least recently seen is forgotten first. */
  maxCameras: number;
}

export const DEFAULT_SEQUENCER: SequencerOptions = { window: 16, maxWaitMs: 2000, maxCameras: 256 };

interface CameraState<T> {
  /** The next seq to release (undefined until the first result). */
  next: number | undefined;
  held: Map<number, { item: T; at: number }>;
}

export interface SequencerStats {
  released: number;
  duplicates: number;
  late: number;
  lost: number;
}

export class ResultSequencer<T> {
  private readonly cameras = new Map<string, CameraState<T>>();
  private readonly opts: SequencerOptions;
  readonly stats: SequencerStats = { released: 0, duplicates: 0, late: 0, lost: 0 };

  constructor(opts: Partial<SequencerOptions> = {}) {
    this.opts = { ...DEFAULT_SEQUENCER, ...opts };
    if (!Number.isInteger(this.opts.window) || this.opts.window < 1) throw new RangeError('window must be a whole number >= 1');
  }

  /** Adds one result; returns those now ready, in order. */
  push(camera: string, seq: number, item: T, now = Date.now()): T[] {
    let s = this.cameras.get(camera);
    if (s) this.cameras.delete(camera); // re-insert below: Map order is recency
    s ??= { next: undefined, held: new Map() };
    this.cameras.set(camera, s);
    if (this.cameras.size > this.opts.maxCameras) {
      const oldest = this.cameras.keys().next().value;
      if (oldest !== undefined) this.cameras.delete(oldest);
    }
    // The first result of a camera starts its sequence (a restarted camera or sequencer starts anew).
    s.next ??= seq;
    if (seq < s.next) {
      this.stats.late++;
      return [];
    }
    if (s.held.has(seq)) {
      this.stats.duplicates++;
      return [];
    }
    s.held.set(seq, { item, at: now });
    return this.drain(s, now);
  }

  /** Releases what waited longer than maxWaitMs for a missing result (call it on a timer). */
  flush(now = Date.now()): { camera: string; items: T[] }[] {
    const out: { camera: string; items: T[] }[] = [];
    for (const [camera, s] of this.cameras) {
      const items = this.drain(s, now);
      if (items.length) out.push({ camera, items });
    }
    return out;
  }

  /** Results waiting for an earlier one, over all cameras. */
  get waiting(): number {
    let n = 0;
    for (const s of this.cameras.values()) n += s.held.size;
    return n;
  }

  reset(camera?: string): void {
    if (camera === undefined) this.cameras.clear();
    else this.cameras.delete(camera);
  }

  private drain(s: CameraState<T>, now: number): T[] {
    const out: T[] = [];
    for (;;) {
      if (s.next === undefined) return out;
      const ready = s.held.get(s.next);
      if (ready) {
        s.held.delete(s.next);
        out.push(ready.item);
        this.stats.released++;
        s.next++;
        continue;
      }
      if (s.held.size === 0) return out;
      // s.next is missing: give up on it when the window is full or the oldest waiting result is overdue.
      let first = Infinity;
      let oldestAt = Infinity;
      for (const [seq, h] of s.held) {
        first = Math.min(first, seq);
        oldestAt = Math.min(oldestAt, h.at);
      }
      if (s.held.size < this.opts.window && now - oldestAt < this.opts.maxWaitMs) return out;
      this.stats.lost += first - s.next;
      s.next = first;
    }
  }
}
