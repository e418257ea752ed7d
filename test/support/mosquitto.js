'use strict';
/** Starts Debian's mosquitto on a free loopback port for a test, and stops it. */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function findMosquitto() {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (fs.existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * opts.port: listen there (default: a free port). opts.persistence: keep sessions and queued messages across stop()/start() (an outage test's subscriber
 * must not miss what arrives while it reconnects). Returns { port, url, stop(), start() }: stop() then
 * start() is a broker outage on the same port; close() ends it for good.
 */
async function startMosquitto(opts = {}) {
  const bin = findMosquitto();
  if (!bin) throw new Error('mosquitto is not installed (apt-get install mosquitto); .ci/run installs it');
  const port = opts.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosq-'));
  // Started as root, mosquitto drops to its own user, which could not write the persistence database into a
  // directory only root may write (it logs "Permission denied" and keeps no session across a restart).
  if (opts.persistence) fs.chmodSync(dir, 0o777);
  const conf = path.join(dir, 'mosquitto.conf');
  const persistence = opts.persistence ? `persistence true\npersistence_location ${dir}/\nautosave_interval 1\n` : 'persistence false\n';
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${persistence}`);
  let proc;
  const run = async () => {
    proc = await launch(bin, conf, port);
  };
  await run();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    /** Stops the broker, keeping its configuration (and persisted state) for start(). */
    async pause() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    },
    async start() {
      await run();
    },
    async stop() {
      await this.pause();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch(bin, conf, port) {
  const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  // Ready when the port accepts connections.
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() - t0 > 10000) throw new Error(`mosquitto did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

module.exports = { startMosquitto, freePort };
