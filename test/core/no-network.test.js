'use strict';
/**
 * No outbound network at run time: strace records every socket address a process uses while it loads both
 * models, classifies a frame and idles 20 s. Only loopback and local (unix, netlink) sockets may appear.
 * (onnxruntime's telemetry resolved an outside host within seconds; src/core/onnx-backend.ts turns it off.)
 */
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function strace() {
  try {
    return execFileSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Addresses in strace lines that are not loopback: inet_addr("a.b.c.d") and inet_pton(AF_INET6, "…"). */
function outsideAddresses(trace) {
  const found = [];
  for (const m of trace.matchAll(/inet_addr\("([\d.]+)"\)|inet_pton\(AF_INET6, "([^"]+)"/g)) {
    const a = m[1] ?? m[2];
    if (a.startsWith('127.') || a === '0.0.0.0' || a === '::1' || a === '::' || a === '::ffff:127.0.0.1') continue;
    found.push(a);
  }
  return found;
}

describe('no network at run time', function () {
  this.timeout(120000);

  it('loading both models, classifying a frame and idling 20 s touches no address off this machine', function () {
    const bin = strace();
    if (!bin) throw new Error('strace is not installed (apt-get install strace); .ci/run installs it');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-trace-'));
    const log = path.join(dir, 'trace.txt');
    const env = { ...process.env };
    delete env.ORT_DISABLE_TELEMETRY; // what a user's Node-RED has: nothing set
    const r = spawnSync(
      bin,
      [
        '-f',
        '-qq',
        '-e',
        'trace=connect,sendto,sendmsg',
        '-o',
        log,
        process.execPath,
        path.join(__dirname, '..', 'support', 'load-and-idle.js'),
        '20000',
      ],
      { env, encoding: 'utf8' },
    );
    const trace = fs.readFileSync(log, 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /classified 1 face/);
    assert.deepEqual(outsideAddresses(trace), [], 'socket calls to outside addresses');
  });

  it('the check sees outside traffic when there is some (a DNS query to 10.255.255.53)', () => {
    assert.deepEqual(
      outsideAddresses(
        '123 connect(23, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n' +
          '124 connect(5, {sa_family=AF_INET, sin_port=htons(1883), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      ),
      ['10.255.255.53'],
    );
  });
});
