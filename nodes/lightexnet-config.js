'use strict';
// Node-RED loads this file (see package.json "node-red"); the node is written in TypeScript under src/nodes.
module.exports = require('../dist/nodes/lightexnet-config.js');
