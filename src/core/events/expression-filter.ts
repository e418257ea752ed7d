/**
 * Turns a stream of per-frame expression results into events worth acting on: an expression of
 * interest, confident enough, held for long enough, not repeated within a cooldown. State is kept per
 * source (one camera per msg.topic) so several cameras can share one filter.
 */
import { crypto } from '../runtime/lazy-crypto';

export interface FilterOptions {
  /** Expressions that count; empty means every expression. */
  expressions: string[];
  minConfidence: number;
  /** It must hold for at least this many consecutive frames... */
  holdFrames: number;
  /** ...and at least this many milliseconds. */
  holdMs: number;
  /** No second alert for the same expression (and source) within this many milliseconds. */
  cooldownMs: number;
  /** true: one alert per episode; false: an alert on every frame while it holds (subject to cooldown). */
  changeOnly: boolean;
  /** An alerted episode ends ("cleared") only after this many frames in a row without its expression:
   *  one frame without a face, or a blink of another label, does not end it (hysteresis). */
  releaseFrames: number;
  /** Sources (msg.topic values) remembered at most; the least recently seen is forgotten first. */
  maxSources: number;
}

export interface FaceExpression {
  expression: string;
  confidence: number;
}

export interface FilterEvent {
  /** Unique per event: lets a consumer drop the duplicate an at-least-once delivery (MQTT QoS 1) may bring. */
  id: string;
  event: 'alert' | 'cleared';
  expression: string;
  /** The best matching face's confidence on the frame that raised the event (last held frame when cleared). */
  confidence: number;
  heldMs: number;
  heldFrames: number;
  faces: number;
  topic: string;
  timestamp: string;
}

interface SourceState {
  candidate: string | null;
  since: number;
  frames: number;
  lastConfidence: number;
  /** The expression alerted for the episode in progress, if any. */
  alerted: string | null;
  /** Frames in a row without the alerted expression. */
  missing: number;
  lastAlertAt: Map<string, number>;
}

export const DEFAULT_FILTER: FilterOptions = {
  expressions: [],
  minConfidence: 0.6,
  holdFrames: 3,
  holdMs: 0,
  cooldownMs: 10_000,
  changeOnly: true,
  releaseFrames: 3,
  maxSources: 1000,
};

export class ExpressionFilter {
  private readonly sources = new Map<string, SourceState>();
  readonly options: FilterOptions;

  constructor(options: Partial<FilterOptions> = {}) {
    this.options = { ...DEFAULT_FILTER, ...options };
    const o = this.options;
    if (!(o.minConfidence >= 0 && o.minConfidence <= 1)) throw new RangeError('minConfidence must be between 0 and 1');
    if (!(o.holdFrames >= 1) || !(o.holdMs >= 0) || !(o.cooldownMs >= 0)) {
      throw new RangeError('holdFrames must be at least 1; holdMs and cooldownMs at least 0');
    }
    if (!(o.releaseFrames >= 1) || !(o.maxSources >= 1)) throw new RangeError('releaseFrames and maxSources must be at least 1');
  }

  /** The face that decides a frame: the most confident one whose expression counts. */
  private pick(faces: FaceExpression[]): FaceExpression | null {
    const { expressions, minConfidence } = this.options;
    let best: FaceExpression | null = null;
    for (const f of faces) {
      if (expressions.length && !expressions.includes(f.expression)) continue;
      if (f.confidence < minConfidence) continue;
      if (!best || f.confidence > best.confidence) best = f;
    }
    return best;
  }

  /** Feeds one frame's faces; returns the events it raises (a 'cleared' comes before a new 'alert'). */
  update(faces: FaceExpression[], topic = '', now = Date.now()): FilterEvent[] {
    let s = this.sources.get(topic);
    if (s) {
      this.sources.delete(topic); // re-inserted below: Map order is then least recently seen first
    } else {
      s = { candidate: null, since: now, frames: 0, lastConfidence: 0, alerted: null, missing: 0, lastAlertAt: new Map() };
      if (this.sources.size >= this.options.maxSources) this.sources.delete(this.sources.keys().next().value as string);
    }
    this.sources.set(topic, s);
    const events: FilterEvent[] = [];
    const top = this.pick(faces);
    const candidate = top ? top.expression : null;
    const make = (event: FilterEvent['event'], expression: string, confidence: number): FilterEvent => ({
      id: crypto().randomUUID(),
      event,
      expression,
      confidence,
      heldMs: now - s.since,
      heldFrames: s.frames,
      faces: faces.length,
      topic,
      timestamp: new Date(now).toISOString(),
    });

    if (s.alerted !== null && candidate !== s.alerted && ++s.missing < this.options.releaseFrames) return events;
    if (candidate === s.alerted) s.missing = 0;
    if (candidate !== s.candidate) {
      if (s.alerted !== null) events.push(make('cleared', s.alerted, s.lastConfidence));
      s.missing = 0;
      s.alerted = null;
      s.candidate = candidate;
      s.since = now;
      s.frames = 0;
    }
    if (candidate === null || !top) return events;
    s.frames++;
    s.lastConfidence = top.confidence;
    const held = s.frames >= this.options.holdFrames && now - s.since >= this.options.holdMs;
    if (!held) return events;
    if (this.options.changeOnly && s.alerted === candidate) return events;
    const last = s.lastAlertAt.get(candidate);
    // Within the cooldown nothing fires; an episode that still holds when it ends fires then.
    if (last !== undefined && now - last < this.options.cooldownMs) return events;
    s.alerted = candidate;
    s.lastAlertAt.set(candidate, now);
    events.push(make('alert', candidate, top.confidence));
    return events;
  }

  /** How many sources are remembered. */
  get sourceCount(): number {
    return this.sources.size;
  }

  /** Forgets a source (or all of them). */
  reset(topic?: string): void {
    if (topic === undefined) this.sources.clear();
    else this.sources.delete(topic);
  }
}

/** Reads an expression list from the editor ("happy, surprise") or an array. */
export function parseExpressions(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  return list.map((s) => String(s).trim().toLowerCase()).filter(Boolean);
}
