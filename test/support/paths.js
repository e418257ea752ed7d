'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SHARED_DATA = process.env.LIGHTEXNET_DATA || path.resolve(ROOT, '..', 'shared', 'data');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/**
 * Skips the calling suite, loudly, when ../shared/data is not there; with LIGHTEXNET_REQUIRE_DATA=1 (set by
 * .ci/run) a missing folder fails instead, so the accuracy checks cannot vanish from CI unnoticed.
 */
function requireSharedData(ctx, sub) {
  const dir = path.join(SHARED_DATA, sub);
  if (!fs.existsSync(dir)) {
    if (process.env.LIGHTEXNET_REQUIRE_DATA === '1') throw new Error(`${dir} is not present, and LIGHTEXNET_REQUIRE_DATA=1 requires it`);
    console.warn(`\n      !!! SKIPPED: ${dir} is not present; the accuracy checks that need the shared datasets did not run !!!\n`);
    ctx.skip();
  }
  return dir;
}

module.exports = { ROOT, SHARED_DATA, FIXTURES, requireSharedData };
