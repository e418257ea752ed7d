'use strict';
const assert = require('node:assert/strict');
const { BusyGate } = require('../../dist/core/runtime/busy-gate');

/** Pushes jobs 0..n-1 at once into a gate whose jobs take a few ms; returns what ran and what dropped. */
async function run(policy, n, queueSize = 2) {
  const gate = new BusyGate({ policy, queueSize });
  const ran = [];
  const dropped = [];
  let pending = n;
  await new Promise((resolve) => {
    const settle = () => --pending === 0 && resolve();
    for (let i = 0; i < n; i++) {
      gate.push({
        value: i,
        run: async (v) => {
          await new Promise((r) => setTimeout(r, 5));
          ran.push(v);
          settle();
        },
        onDrop: (v) => {
          dropped.push(v);
          settle();
        },
      });
    }
  });
  return { ran, dropped, gate };
}

describe('BusyGate', () => {
  it('drop: runs the first job and drops what arrives while busy', async () => {
    const { ran, dropped, gate } = await run('drop', 5);
    assert.deepEqual(ran, [0]);
    assert.deepEqual(dropped, [1, 2, 3, 4]);
    assert.equal(gate.dropped, 4);
  });

  it('latest: runs the first and the newest, dropping the ones replaced', async () => {
    const { ran, dropped } = await run('latest', 5);
    assert.deepEqual(ran, [0, 4]);
    assert.deepEqual(dropped, [1, 2, 3]);
  });

  it('queue: runs up to the queue size after the running job, in order', async () => {
    const { ran, dropped } = await run('queue', 6, 3);
    assert.deepEqual(ran, [0, 1, 2, 3]);
    assert.deepEqual(dropped, [4, 5]);
  });

  it('a failing job does not stop the gate', async () => {
    const gate = new BusyGate({ policy: 'queue', queueSize: 5 });
    const ran = [];
    await new Promise((resolve) => {
      gate.push({
        value: 0,
        run: async () => {
          throw new Error('boom');
        },
        onDrop: () => {},
      });
      gate.push({
        value: 1,
        run: async (v) => {
          ran.push(v);
          resolve();
        },
        onDrop: () => {},
      });
    });
    assert.deepEqual(ran, [1]);
  });

  it('close drops what waits and everything after', async () => {
    const gate = new BusyGate({ policy: 'queue', queueSize: 5 });
    const dropped = [];
    let release;
    gate.push({ value: 0, run: () => new Promise((r) => (release = r)), onDrop: (v) => dropped.push(v) });
    gate.push({ value: 1, run: async () => {}, onDrop: (v) => dropped.push(v) });
    gate.close();
    gate.push({ value: 2, run: async () => {}, onDrop: (v) => dropped.push(v) });
    release();
    assert.deepEqual(dropped, [1, 2]);
  });

  it('rejects an unknown policy', () => {
    assert.throws(() => new BusyGate({ policy: 'hurry', queueSize: 1 }), RangeError);
  });
});

describe('BusyGate with concurrency', () => {
  it('runs up to `concurrency` jobs at once and drops beyond that', async () => {
    const gate = new BusyGate({ policy: 'drop', queueSize: 1, concurrency: 2 });
    const releases = [];
    const dropped = [];
    let peak = 0;
    for (let i = 0; i < 4; i++) {
      gate.push({
        value: i,
        run: () =>
          new Promise((r) => {
            releases.push(r);
            peak = Math.max(peak, gate.pending);
          }),
        onDrop: (v) => dropped.push(v),
      });
    }
    assert.equal(releases.length, 2, 'two running');
    assert.deepEqual(dropped, [2, 3]);
    assert.equal(peak, 2);
    const idle = gate.idle();
    releases.forEach((r) => r());
    await idle;
    assert.equal(gate.pending, 0);
    assert.equal(gate.processed, 2);
  });

  it('queue: a freed slot takes the oldest waiting job', async () => {
    const gate = new BusyGate({ policy: 'queue', queueSize: 3, concurrency: 2 });
    const started = [];
    const releases = new Map();
    for (let i = 0; i < 5; i++) {
      gate.push({
        value: i,
        run: (v) =>
          new Promise((r) => {
            started.push(v);
            releases.set(v, r);
          }),
        onDrop: () => {},
      });
    }
    assert.deepEqual(started, [0, 1]);
    releases.get(1)();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2]);
    releases.get(0)();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2, 3]);
  });
});
