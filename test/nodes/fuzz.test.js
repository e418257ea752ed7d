'use strict';
/**
 * Fuzz (seeded, replayable): 1,000 mutated frames in five formats and the hand-made hostile messages through
 * a real Node-RED runtime: no crash, every failure an error at the Catch node, and a valid frame classified
 * right after each. `node scripts/fuzz.js --count 20000 --seed 7` runs a longer one.
 */
const assert = require('node:assert/strict');
const { fuzz } = require('../support/fuzz');

describe('fuzzing lightexnet-classify (real Node-RED runtime)', function () {
  this.timeout(900000);

  it('1,000 mutated JPEG/PNG/WebP/GIF/TIFF frames and the hostile cases: no crash, errors at Catch, the next frame works', async () => {
    const stats = await fuzz({ count: 1000, seed: 1 });
    console.log(`      ${stats.cases} cases: ${stats.results} classified, ${stats.errors} errors at the Catch node`);
    assert.equal(stats.cases, 1000 + 23);
    assert.ok(stats.errors > 100 && stats.results > 100, 'the mutations reach both outcomes');
  });
});
