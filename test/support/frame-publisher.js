'use strict';
/**
 * Cameras for the distributed-inference tests and benchmark: publishes frames to lightexnet/frames/<camera>
 * (MQTT 5, QoS 1, user properties seq and capturedAt) at a steady rate, round-robin over the cameras, and
 * collects what comes back on lightexnet/results/#.
 */
const mqtt = require('mqtt');
const sharp = require('sharp');
const path = require('node:path');
const { FIXTURES } = require('./paths');

/** A few small, different JPEG frames with one face (the fixture photo, mirrored and shifted). */
async function sampleFrames(width = 320) {
  const src = path.join(FIXTURES, 'astronaut-640x480.jpg');
  const out = [];
  for (const [flip, left] of [
    [false, 0],
    [true, 0],
    [false, 40],
    [true, 40],
  ]) {
    let img = sharp(src).extract({ left, top: 0, width: 600, height: 480 });
    if (flip) img = img.flop();
    out.push(await img.resize(width).jpeg({ quality: 80 }).toBuffer());
  }
  return out;
}

async function connect(url, opts = {}) {
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 500, ...opts });
  await new Promise((resolve, reject) => c.once('connect', resolve).once('error', reject));
  return c;
}

/** Collects results: per camera, the seqs seen (with repeats counted), and every result in arrival order. */
async function resultCollector(url) {
  const client = await connect(url, { clientId: `results-${process.pid}-${Date.now()}` });
  const seen = new Map(); // camera -> Map(seq -> count)
  const arrivals = [];
  client.on('message', (topic, payload) => {
    const r = JSON.parse(payload.toString());
    r.receivedAt = Date.now();
    arrivals.push(r);
    const m = seen.get(r.camera) ?? new Map();
    m.set(r.seq, (m.get(r.seq) ?? 0) + 1);
    seen.set(r.camera, m);
  });
  await client.subscribeAsync('lightexnet/results/#', { qos: 1 });
  return {
    seen,
    arrivals,
    /** Distinct (camera, seq) results received. */
    distinct: () => [...seen.values()].reduce((n, m) => n + m.size, 0),
    repeats: () => [...seen.values()].reduce((n, m) => n + [...m.values()].reduce((a, c) => a + c - 1, 0), 0),
    close: () => client.endAsync(),
  };
}

/**
 * Publishes `perCamera` frames for each camera at `fps` frames/s in total. Returns, per frame, when it
 * was published. onProgress(published) is called after each publish.
 */
async function publishFrames(url, { cameras, perCamera, fps, frames, onProgress }) {
  const client = await connect(url, { clientId: `cameras-${process.pid}-${Date.now()}` });
  const published = [];
  const t0 = Date.now();
  let i = 0;
  for (let seq = 0; seq < perCamera; seq++) {
    for (const camera of cameras) {
      const due = t0 + (i * 1000) / fps;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const capturedAt = Date.now();
      await client.publishAsync(`lightexnet/frames/${camera}`, frames[i % frames.length], {
        qos: 1,
        properties: { userProperties: { seq: String(seq), capturedAt: String(capturedAt) } },
      });
      published.push({ camera, seq, capturedAt });
      i++;
      onProgress?.(i);
    }
  }
  await client.endAsync();
  return published;
}

module.exports = { sampleFrames, connect, resultCollector, publishFrames };
