'use strict';
const assert = require('node:assert/strict');
const { ResultSequencer } = require('../../dist/core/distributed/result-sequencer');
const {
  parseFrameHeader,
  frameTopic,
  resultTopic,
  sharedFramesTopic,
  cameraOf,
  checkCameraId,
} = require('../../dist/core/distributed/frame-topics');

describe('ResultSequencer (putting workers results back in frame order)', () => {
  it('releases in order, holding a result until the one before it arrives', () => {
    const s = new ResultSequencer({ window: 8 });
    assert.deepEqual(s.push('cam', 0, 'r0', 0), ['r0']);
    assert.deepEqual(s.push('cam', 2, 'r2', 1), []);
    assert.deepEqual(s.push('cam', 3, 'r3', 2), []);
    assert.deepEqual(s.push('cam', 1, 'r1', 3), ['r1', 'r2', 'r3']);
    assert.equal(s.waiting, 0);
  });

  it('keeps cameras apart', () => {
    const s = new ResultSequencer({ window: 8 });
    s.push('a', 0, 'a0', 0);
    s.push('b', 5, 'b5', 0); // a camera's first result starts its sequence
    assert.deepEqual(s.push('a', 2, 'a2', 0), []);
    assert.deepEqual(s.push('b', 6, 'b6', 0), ['b6']);
    assert.deepEqual(s.push('a', 1, 'a1', 0), ['a1', 'a2']);
  });

  it('gives up a missing result once the window is full, and counts it lost', () => {
    const s = new ResultSequencer({ window: 3, maxWaitMs: 1e9 });
    s.push('cam', 0, 0, 0);
    assert.deepEqual(s.push('cam', 2, 2, 0), []);
    assert.deepEqual(s.push('cam', 3, 3, 0), []);
    assert.deepEqual(s.push('cam', 4, 4, 0), [2, 3, 4]);
    assert.equal(s.stats.lost, 1);
    assert.deepEqual(s.push('cam', 1, 1, 0), [], 'the lost one, arriving after all, is late');
    assert.equal(s.stats.late, 1);
  });

  it('gives up a missing result after maxWaitMs on flush()', () => {
    const s = new ResultSequencer({ window: 100, maxWaitMs: 2000 });
    s.push('cam', 0, 0, 0);
    s.push('cam', 2, 2, 1000);
    assert.deepEqual(s.flush(2500), []);
    assert.deepEqual(s.flush(3001), [{ camera: 'cam', items: [2] }]);
    assert.equal(s.stats.lost, 1);
  });

  it('drops repeats (QoS 1 redelivery)', () => {
    const s = new ResultSequencer({ window: 8 });
    s.push('cam', 0, 'x', 0);
    s.push('cam', 2, 'y', 0);
    assert.deepEqual(s.push('cam', 2, 'y again', 0), []);
    assert.deepEqual(s.push('cam', 0, 'x again', 0), []);
    assert.equal(s.stats.duplicates, 1);
    assert.equal(s.stats.late, 1);
  });

  it('forgets the least recently seen camera beyond maxCameras', () => {
    const s = new ResultSequencer({ window: 8, maxCameras: 2 });
    s.push('a', 0, 'a0', 0);
    s.push('b', 0, 'b0', 0);
    s.push('c', 0, 'c0', 0);
    assert.deepEqual(s.push('a', 7, 'a7', 0), ['a7'], 'a was forgotten: its sequence starts anew');
  });
});

describe('frame topics and headers', () => {
  it('builds the topic layout', () => {
    assert.equal(frameTopic('door'), 'lightexnet/frames/door');
    assert.equal(resultTopic('door'), 'lightexnet/results/door');
    assert.equal(sharedFramesTopic(), '$share/lightexnet/lightexnet/frames/#');
    assert.equal(cameraOf('lightexnet/results/door'), 'door');
    assert.equal(cameraOf('lightexnet/frames/a/b'), undefined);
  });

  it('refuses camera ids that would address other topics', () => {
    for (const bad of ['', 'a/b', 'a+', '#', 'x'.repeat(129)]) assert.throws(() => checkCameraId(bad), /camera id/);
  });

  it('reads seq and capturedAt from MQTT 5 user properties, and says what is wrong', () => {
    assert.deepEqual(parseFrameHeader('lightexnet/frames/door', { seq: '7', capturedAt: '1700000000000' }), {
      camera: 'door',
      seq: 7,
      capturedAt: 1700000000000,
    });
    assert.throws(() => parseFrameHeader('lightexnet/frames/door', { capturedAt: '1' }), /seq/);
    assert.throws(() => parseFrameHeader('lightexnet/frames/door', { seq: '-1', capturedAt: '1' }), /seq/);
    assert.throws(() => parseFrameHeader('lightexnet/frames/door', { seq: '1' }), /capturedAt/);
    assert.throws(() => parseFrameHeader('other/door', { seq: '1', capturedAt: '1' }), /not a frame topic/);
  });
});
