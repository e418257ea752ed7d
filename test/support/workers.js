'use strict';

/** Runs fn with LIGHTEXNET_WORKERS=n (inference workers, and so frames in flight per node), then restores it. */
async function withWorkers(n, fn) {
  const before = process.env.LIGHTEXNET_WORKERS;
  process.env.LIGHTEXNET_WORKERS = String(n);
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.LIGHTEXNET_WORKERS;
    else process.env.LIGHTEXNET_WORKERS = before;
  }
}

module.exports = { withWorkers };
