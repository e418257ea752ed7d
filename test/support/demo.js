'use strict';
/** Starts `npm start`'s demo (built dist/demo/start.js) on free loopback ports for a test, and stops it. */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./paths');
const { freePort } = require('./mosquitto');

/**
 * env: extra environment (e.g. MJPEG_URL). Resolves with { base, port, mqttPort, userDir, login, log(), stop() }
 * once the dashboard answers.
 */
async function startDemo(env = {}) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-demo-'));
  const userDir = path.join(workDir, 'nr');
  const port = await freePort();
  const mqttPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist', 'demo', 'start.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      LIGHTEXNET_DEMO_DIR: userDir,
      MQTT_URL: '',
      CAMERA_URL: '',
      MJPEG_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`demo exited:\n${log}`);
    try {
      if ((await fetch(`${base}/dashboard`)).status < 500) break;
    } catch {
      // starting
    }
    if (Date.now() - t0 > 120000) {
      await stop();
      throw new Error(`demo did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const login = JSON.parse(fs.readFileSync(path.join(userDir, 'demo-login.json'), 'utf8'));
  return { base, port, mqttPort, userDir, login, proc, log: () => log, stop };
}

/** Logs a Playwright page into the demo's editor with the generated login. */
async function editorLogin(page, base, login) {
  await page.goto(`${base}/`);
  await page.locator('#node-dialog-login-username').fill(login.editor.username);
  await page.locator('#node-dialog-login-password').fill(login.editor.password);
  await page.locator('#node-dialog-login-submit').click();
}

/** An admin API token for the demo's generated editor login (Node-RED's password grant). */
async function adminToken(demo) {
  const form = new URLSearchParams({
    client_id: 'node-red-admin',
    grant_type: 'password',
    scope: '*',
    username: demo.login.editor.username,
    password: demo.login.editor.password,
  });
  const r = await fetch(`${demo.base}/auth/token`, { method: 'POST', body: form });
  if (r.status !== 200) throw new Error(`the demo refused its own login: ${r.status}`);
  return (await r.json()).access_token;
}

module.exports = { startDemo, editorLogin, adminToken };
