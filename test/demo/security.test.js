'use strict';
/**
 * The demo is safe by default (src/demo/guard.ts, src/demo/start.ts): no other web origin or rebound host
 * name reaches the editor, admin API, dashboard or frame endpoint; the editor needs the generated login;
 * the embedded broker takes only the demo's credentials; the frame endpoint checks type, size (from the
 * headers, before reading) and rate, and answers with a small JSON instead of echoing the body.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const mqtt = require('mqtt');
const { FIXTURES } = require('../support/paths');
const { startDemo } = require('../support/demo');

/** A request with full control of the headers (fetch cannot set Host). */
function request(base, { method = 'GET', path: p = '/', headers = {}, body } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The demo's broker answers only the demo's login, and the demo's alerts reach it. */
async function checkDemoBroker(demo) {
  const url = `mqtt://127.0.0.1:${demo.mqttPort}`;
  const anon = await new Promise((resolve) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10000 });
    c.on('connect', () => {
      c.end(true);
      resolve('connected');
    });
    c.on('error', (e) => {
      c.end(true);
      resolve(e.message);
    });
  });
  assert.match(anon, /Not authorized/);
  const client = mqtt.connect(url, { reconnectPeriod: 0, username: demo.login.mqtt.username, password: demo.login.mqtt.password });
  try {
    await new Promise((resolve, reject) => {
      client.on('connect', resolve);
      client.on('error', reject);
    });
    await client.subscribeAsync('lightexnet/#');
    // The alert's face picture comes first (retained, on lightexnet/alerts/snapshot), then the alert.
    const seen = new Map();
    await new Promise((resolve) =>
      client.on('message', (topic, m) => {
        if (!seen.has(topic)) seen.set(topic, m);
        if (seen.has('lightexnet/alerts') && seen.has('lightexnet/alerts/snapshot')) resolve();
      }),
    );
    assert.equal(JSON.parse(seen.get('lightexnet/alerts')).event, 'alert');
    assert.deepEqual([...seen.get('lightexnet/alerts/snapshot').subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
  } finally {
    client.end(true);
  }
}

describe('demo security (a real demo Node-RED)', function () {
  this.timeout(180000);
  let demo;
  const jpeg = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));

  before(async () => {
    demo = await startDemo();
  });
  after(async () => demo?.stop());

  it('refuses the admin API to another origin (GET and POST /flows), and to a rebound Host name', async () => {
    const evil = { Origin: 'http://evil.example' };
    const get = await request(demo.base, { path: '/flows', headers: evil });
    assert.equal(get.status, 403);
    assert.doesNotMatch(get.body, /lx-detect/, 'no flow content leaks');
    const post = await request(demo.base, {
      method: 'POST',
      path: '/flows',
      headers: { ...evil, 'Content-Type': 'application/json' },
      body: '[]',
    });
    assert.equal(post.status, 403);
    const rebound = await request(demo.base, { path: '/flows', headers: { Host: `attacker.example:${demo.port}` } });
    assert.equal(rebound.status, 403);
    const dash = await request(demo.base, { path: '/dashboard/live', headers: { Host: 'attacker.example' } });
    assert.equal(dash.status, 403);
  });

  it('asks for the generated login on its own origin, and accepts it', async () => {
    const anon = await request(demo.base, { path: '/flows' });
    assert.equal(anon.status, 401);
    const form = new URLSearchParams({
      client_id: 'node-red-admin',
      grant_type: 'password',
      scope: '*',
      username: demo.login.editor.username,
      password: demo.login.editor.password,
    });
    const tok = await fetch(`${demo.base}/auth/token`, { method: 'POST', body: form });
    assert.equal(tok.status, 200);
    const { access_token: token } = await tok.json();
    const flows = await fetch(`${demo.base}/flows`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(flows.status, 200);
    assert.ok((await flows.json()).some((n) => n.id === 'lx-detect'));
    const wrong = await fetch(`${demo.base}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({ ...Object.fromEntries(form), password: 'guess' }),
    });
    assert.equal(wrong.status, 403);
    const mode = fs.statSync(path.join(demo.userDir, 'demo-login.json')).mode & 0o777;
    assert.equal(mode, 0o600, 'the login file is readable by its owner only');
  });

  it("serves the Webcam page's face detector to its own origin only", async () => {
    const file = '/lightexnet-webcam/face_detection_full_range.tflite';
    const own = await request(demo.base, { path: file });
    assert.equal(own.status, 200);
    const cross = await request(demo.base, { path: file, headers: { Origin: 'http://evil.example' } });
    assert.equal(cross.status, 403);
    const rebound = await request(demo.base, {
      path: '/lightexnet-webcam/vision_bundle.mjs',
      headers: { Host: `attacker.example:${demo.port}` },
    });
    assert.equal(rebound.status, 403);
  });

  it("refuses the dashboard's live connection to another origin", async () => {
    // socket.io's polling transport by hand: open, ask to join the default namespace, read the answer.
    async function join(origin) {
      const q = '/dashboard/socket.io/?EIO=4&transport=polling';
      const open = await request(demo.base, { path: q, headers: { Origin: origin } });
      const sid = /"sid":"([^"]+)"/.exec(open.body)[1];
      await request(demo.base, {
        method: 'POST',
        path: `${q}&sid=${sid}`,
        headers: { Origin: origin, 'Content-Type': 'text/plain' },
        body: '40',
      });
      return (await request(demo.base, { path: `${q}&sid=${sid}`, headers: { Origin: origin } })).body;
    }
    assert.match(await join('http://evil.example'), /^44.*not allowed/);
    assert.match(await join(demo.base), /^40/);
  });

  it('takes frames only as images of a declared, bounded size, and never echoes them', async () => {
    const ok = await request(demo.base, {
      method: 'POST',
      path: '/lightexnet/frame',
      headers: { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length },
      body: jpeg,
    });
    assert.equal(ok.status, 202);
    assert.deepEqual(JSON.parse(ok.body), { accepted: true, bytes: jpeg.length });
    const text = await request(demo.base, {
      method: 'POST',
      path: '/lightexnet/frame',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(text.status, 415);
    const json = await request(demo.base, {
      method: 'POST',
      path: '/lightexnet/frame',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 415);
    const cross = await request(demo.base, {
      method: 'POST',
      path: '/lightexnet/frame',
      headers: { Origin: 'http://evil.example', 'Content-Type': 'image/jpeg' },
      body: jpeg,
    });
    assert.equal(cross.status, 403);
  });

  it('refuses a 100 MB upload from its headers, without reading the body', async () => {
    const u = new URL(demo.base);
    let sent = 0;
    const res = await new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/lightexnet/frame',
          headers: { 'Content-Type': 'image/jpeg', 'Content-Length': 100 * 1024 * 1024 },
        },
        resolve,
      );
      req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        // Send slowly: the answer must come while almost all of the body is still unsent.
        if (sent >= 100 * 1024 * 1024 || req.destroyed) return;
        sent += chunk.length;
        req.write(chunk, () => setTimeout(pump, 5));
      };
      pump();
    });
    assert.equal(res.statusCode, 413);
    assert.ok(sent < 5 * 1024 * 1024, `refused after ${sent} bytes were sent`);
    res.resume();
  });

  it('limits the rate of frame posts', async () => {
    const post = () =>
      request(demo.base, {
        method: 'POST',
        path: '/lightexnet/frame',
        headers: { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length },
        body: jpeg,
      });
    const codes = (await Promise.all(Array.from({ length: 60 }, post))).map((r) => r.status);
    assert.ok(codes.includes(429), 'some of 60 parallel posts are refused');
    assert.ok(codes.includes(202), 'some are taken');
    assert.ok(
      codes.every((c) => c === 202 || c === 429),
      `only 202 or 429: ${[...new Set(codes)]}`,
    );
  });

  it("runs its broker for the demo only: anonymous clients are refused, the demo's login gets alerts", async () => {
    await checkDemoBroker(demo);
  });
});

describe('demo security with the fallback broker (aedes, where mosquitto is not installed)', function () {
  this.timeout(180000);
  let demo;
  before(async () => {
    demo = await startDemo({ LIGHTEXNET_DEMO_BROKER: 'aedes' });
  });
  after(async () => demo?.stop());

  it("runs its broker for the demo only: anonymous clients are refused, the demo's login gets alerts", async () => {
    assert.match(demo.log(), /embedded broker \(MQTT 3\.1\.1\)/);
    await checkDemoBroker(demo);
  });
});
