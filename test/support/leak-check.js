'use strict';
/**
 * Mocha root hook (loaded by .mocharc.json instead of `exit: true`): after the last test, the process
 * must be able to end by itself. If handles (sockets, timers, servers, child processes) still hold it
 * 5 s later, they are listed and the run fails, so a leak shows as a failure, not as a hang or a pass.
 */
const describeHandle = (h) => {
  const name = h?.constructor?.name ?? typeof h;
  if (name === 'Socket' || name === 'TCP') return `${name} ${h.remoteAddress ?? ''}:${h.remotePort ?? h.localPort ?? ''}`;
  if (name === 'Server') return `Server ${JSON.stringify(h.address?.())}`;
  if (name === 'ChildProcess') return `ChildProcess ${h.pid} ${h.spawnargs?.join(' ')}`;
  return name;
};

exports.mochaHooks = {
  afterAll() {
    const timer = setTimeout(() => {
      const held = process._getActiveHandles().filter((h) => h !== process.stdout && h !== process.stderr && h !== process.stdin);
      console.error(`\nLEAK: the test process could not end by itself; still open:\n  ${held.map(describeHandle).join('\n  ')}`);
      process.exit(1);
    }, 5000);
    timer.unref(); // fires only if something else keeps the process alive
  },
};
