'use strict';
const assert = require('node:assert/strict');
const { ExpressionFilter, parseExpressions } = require('../../dist/core/events/expression-filter');

const face = (expression, confidence = 0.9) => ({ expression, confidence });
const kinds = (events) => events.map((e) => `${e.event}:${e.expression}`);

describe('ExpressionFilter', () => {
  it('alerts once an expression has held for N frames, once per episode, then clears', () => {
    const f = new ExpressionFilter({ expressions: ['happy'], holdFrames: 3, cooldownMs: 0, releaseFrames: 1 });
    assert.deepEqual(kinds(f.update([face('happy')], 'cam', 0)), []);
    assert.deepEqual(kinds(f.update([face('happy')], 'cam', 100)), []);
    const ev = f.update([face('happy', 0.8), face('sad')], 'cam', 200);
    assert.deepEqual(kinds(ev), ['alert:happy']);
    assert.equal(ev[0].heldFrames, 3);
    assert.equal(ev[0].heldMs, 200);
    assert.equal(ev[0].faces, 2);
    assert.equal(ev[0].confidence, 0.8);
    assert.equal(ev[0].topic, 'cam');
    assert.equal(ev[0].timestamp, new Date(200).toISOString());
    assert.deepEqual(kinds(f.update([face('happy')], 'cam', 300)), [], 'no repeat within the episode');
    assert.deepEqual(kinds(f.update([face('neutral')], 'cam', 400)), ['cleared:happy']);
    assert.deepEqual(kinds(f.update([], 'cam', 500)), []);
  });

  it('a frame that breaks the run restarts the count', () => {
    const f = new ExpressionFilter({ expressions: ['happy'], holdFrames: 2 });
    f.update([face('happy')], '', 0);
    f.update([], '', 1);
    assert.deepEqual(kinds(f.update([face('happy')], '', 2)), []);
    assert.deepEqual(kinds(f.update([face('happy')], '', 3)), ['alert:happy']);
  });

  it('ignores expressions not chosen and faces below the confidence threshold', () => {
    const f = new ExpressionFilter({ expressions: ['surprise'], minConfidence: 0.7, holdFrames: 1 });
    assert.deepEqual(kinds(f.update([face('happy', 0.99)], '', 0)), []);
    assert.deepEqual(kinds(f.update([face('surprise', 0.6)], '', 1)), []);
    assert.deepEqual(kinds(f.update([face('surprise', 0.75)], '', 2)), ['alert:surprise']);
  });

  it('with no expressions chosen, any confident expression counts; the most confident face decides', () => {
    const f = new ExpressionFilter({ holdFrames: 1, releaseFrames: 1 });
    assert.deepEqual(kinds(f.update([face('sad', 0.7), face('angry', 0.95)], '', 0)), ['alert:angry']);
    assert.deepEqual(kinds(f.update([face('sad', 0.99)], '', 1)), ['cleared:angry', 'alert:sad']);
  });

  it('needs the hold time as well as the frames', () => {
    const f = new ExpressionFilter({ holdFrames: 1, holdMs: 1000 });
    assert.deepEqual(kinds(f.update([face('happy')], '', 0)), []);
    assert.deepEqual(kinds(f.update([face('happy')], '', 999)), []);
    assert.deepEqual(kinds(f.update([face('happy')], '', 1000)), ['alert:happy']);
  });

  it('cooldown: no second alert of the same expression within it; a held episode fires when it ends', () => {
    const f = new ExpressionFilter({ holdFrames: 1, cooldownMs: 5000, releaseFrames: 1 });
    assert.deepEqual(kinds(f.update([face('happy')], '', 0)), ['alert:happy']);
    assert.deepEqual(kinds(f.update([face('neutral', 0.3)], '', 100)), ['cleared:happy']);
    assert.deepEqual(kinds(f.update([face('happy')], '', 200)), []);
    assert.deepEqual(kinds(f.update([face('happy')], '', 4999)), []);
    assert.deepEqual(kinds(f.update([face('happy')], '', 5000)), ['alert:happy']);
  });

  it('emit on every frame while it holds when changeOnly is off (rate-limited by the cooldown)', () => {
    const f = new ExpressionFilter({ holdFrames: 1, cooldownMs: 1000, changeOnly: false });
    const times = [0, 500, 1000, 1500, 2000];
    const alerts = times.flatMap((t) => f.update([face('happy')], '', t)).filter((e) => e.event === 'alert');
    assert.deepEqual(
      alerts.map((e) => e.timestamp),
      [0, 1000, 2000].map((t) => new Date(t).toISOString()),
    );
  });

  it('keeps separate state per topic', () => {
    const f = new ExpressionFilter({ holdFrames: 2 });
    f.update([face('happy')], 'a', 0);
    f.update([face('happy')], 'b', 1);
    assert.deepEqual(kinds(f.update([face('happy')], 'a', 2)), ['alert:happy']);
    assert.deepEqual(kinds(f.update([], 'b', 3)), []);
    f.reset('a');
    assert.deepEqual(kinds(f.update([], 'a', 4)), [], 'a reset source has nothing to clear');
  });

  it('hysteresis: an alerted episode survives fewer than releaseFrames frames without it', () => {
    const f = new ExpressionFilter({ expressions: ['happy'], holdFrames: 2, releaseFrames: 3 });
    f.update([face('happy')], '', 0);
    assert.deepEqual(kinds(f.update([face('happy')], '', 1)), ['alert:happy']);
    // The demo's loop: every fifth frame has no face. One or two gaps do not clear, nor re-alert after.
    assert.deepEqual(kinds(f.update([], '', 2)), []);
    assert.deepEqual(kinds(f.update([face('sad')], '', 3)), []);
    assert.deepEqual(kinds(f.update([face('happy')], '', 4)), [], 'the same episode goes on');
    assert.deepEqual(kinds(f.update([], '', 5)), []);
    assert.deepEqual(kinds(f.update([], '', 6)), []);
    const ev = f.update([], '', 7);
    assert.deepEqual(kinds(ev), ['cleared:happy'], 'the third frame in a row without it clears');
  });

  it('remembers at most maxSources topics, forgetting the least recently seen', () => {
    const f = new ExpressionFilter({ holdFrames: 2, maxSources: 3 });
    f.update([face('happy')], 'a', 0);
    for (const t of ['b', 'c']) f.update([], t, 1);
    f.update([face('happy')], 'a', 2); // a is now the most recent: alert
    f.update([], 'd', 3); // evicts b
    assert.equal(f.sourceCount, 3);
    for (let i = 0; i < 10000; i++) f.update([face('happy')], `cam-${i}`, 4);
    assert.equal(f.sourceCount, 3, 'bounded however many topics pass');
  });

  it('rejects impossible options', () => {
    assert.throws(() => new ExpressionFilter({ minConfidence: 2 }), RangeError);
    assert.throws(() => new ExpressionFilter({ holdFrames: 0 }), RangeError);
    assert.throws(() => new ExpressionFilter({ releaseFrames: 0 }), RangeError);
    assert.throws(() => new ExpressionFilter({ maxSources: 0 }), RangeError);
  });

  it('parses expression lists from the editor', () => {
    assert.deepEqual(parseExpressions('happy, Surprise,,'), ['happy', 'surprise']);
    assert.deepEqual(parseExpressions(['sad']), ['sad']);
    assert.deepEqual(parseExpressions(undefined), []);
  });
});
