#!/usr/bin/env node
'use strict';
/** A longer fuzz run than the test suite's: node scripts/fuzz.js [--count N] [--seed S]. Prints JSON. */
const { parseArgs } = require('node:util');
const { fuzz } = require('../test/support/fuzz');

const { values } = parseArgs({ options: { count: { type: 'string', default: '20000' }, seed: { type: 'string', default: '7' } } });
const t0 = Date.now();
fuzz({ count: Number(values.count), seed: Number(values.seed) }).then(
  (stats) => {
    console.log(
      JSON.stringify(
        { ...stats, seconds: Math.round((Date.now() - t0) / 1000), rssMB: Math.round(process.memoryUsage().rss / 1e6) },
        null,
        1,
      ),
    );
    process.exit(0);
  },
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
