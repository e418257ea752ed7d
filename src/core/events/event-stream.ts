/**
 * The filter's alerts as a Frigate-style event stream: each alert episode is an event with a lifecycle,
 * sent as { type: 'new' | 'update' | 'end', before, after } (the shape of Frigate's frigate/events topic, so
 * automations written for it carry over): 'new' when the alert fires, 'update' when a later frame of the
 * episode shows its expression with a higher confidence (a better picture), 'end' when it is cleared.
 */
import type { FaceExpression, FilterEvent } from './expression-filter';

export interface TrackedEvent {
  /** The alert event's id (the 'cleared' event of the episode has another id; this one stays). */
  id: string;
  camera: string;
  label: string;
  /** Confidence on the latest frame that showed the label. */
  score: number;
  top_score: number;
  /** Seconds since the epoch, as Frigate writes them. */
  start_time: number;
  end_time: number | null;
  /** Frames of the episode that showed the label. */
  frames: number;
  has_snapshot: boolean;
}

export interface StreamMessage {
  type: 'new' | 'update' | 'end';
  before: TrackedEvent;
  after: TrackedEvent;
}

/** An update is sent only when the top confidence grows by at least this much (no stream of tiny ones). */
export const MIN_SCORE_GAIN = 0.02;

export class EventStream {
  private readonly active = new Map<string, TrackedEvent>();

  /** An alert fired for `source`: a new event. */
  alert(ev: FilterEvent, source: string, nowMs: number, hasSnapshot: boolean): StreamMessage {
    const e: TrackedEvent = {
      id: ev.id,
      camera: source,
      label: ev.expression,
      score: ev.confidence,
      top_score: ev.confidence,
      start_time: (nowMs - ev.heldMs) / 1000,
      end_time: null,
      frames: ev.heldFrames,
      has_snapshot: hasSnapshot,
    };
    this.active.set(source, e);
    return { type: 'new', before: e, after: e };
  }

  /** A frame of `source` while its episode runs: an update when the label's confidence beats the top one. */
  frame(source: string, faces: FaceExpression[], hasSnapshot = false): StreamMessage | undefined {
    const e = this.active.get(source);
    if (!e) return undefined;
    const best = Math.max(-1, ...faces.filter((f) => f.expression === e.label).map((f) => f.confidence));
    if (best < 0) return undefined;
    const after: TrackedEvent = { ...e, score: best, frames: e.frames + 1 };
    this.active.set(source, after);
    if (best < e.top_score + MIN_SCORE_GAIN) return undefined;
    const updated = { ...after, top_score: best, has_snapshot: e.has_snapshot || hasSnapshot };
    this.active.set(source, updated);
    return { type: 'update', before: e, after: updated };
  }

  /** The episode of `source` was cleared: its event ends. */
  cleared(source: string, nowMs: number): StreamMessage | undefined {
    const e = this.active.get(source);
    if (!e) return undefined;
    this.active.delete(source);
    return { type: 'end', before: e, after: { ...e, end_time: nowMs / 1000 } };
  }

  /** Whether `source` has an event running. */
  has(source: string): boolean {
    return this.active.has(source);
  }

  reset(source?: string): void {
    if (source === undefined) this.active.clear();
    else this.active.delete(source);
  }
}
