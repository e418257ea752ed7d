'use strict';
/**
 * Mocha root hook: the optimised-model cache (src/core/runtime/optimized-model-cache.ts) goes to a fresh
 * folder for the run, not to the user's ~/.cache, so that a test run starts from no cache (the first open of
 * each model writes it, later ones use it) and leaves nothing behind. Workers and child processes (Node-RED,
 * the CLI) inherit it through the environment.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ours = !process.env.LIGHTEXNET_CACHE_DIR;
if (ours) process.env.LIGHTEXNET_CACHE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'lightexnet-cache-'));

exports.mochaHooks = {
  afterAll() {
    if (ours) fs.rmSync(process.env.LIGHTEXNET_CACHE_DIR, { recursive: true, force: true });
  },
};
