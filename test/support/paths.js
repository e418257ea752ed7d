'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const SHARED_DATA = process.env.LIGHTEXNET_DATA || path.resolve(ROOT, '..', 'shared', 'data');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** Skips the calling suite (with a message saying why) when ../shared/data is not there. */
function requireSharedData(ctx, sub) {
  const dir = path.join(SHARED_DATA, sub);
  if (!fs.existsSync(dir)) {
    console.log(`      (skipped: ${dir} is not present; these tests need the shared datasets)`);
    ctx.skip();
  }
  return dir;
}

module.exports = { ROOT, SHARED_DATA, FIXTURES, requireSharedData };
