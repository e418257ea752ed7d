'use strict';
/** The benches' 640x480 JPEG frames, made from the test fixture (so every bench measures the same pixels). */
const path = require('node:path');
const sharp = require('sharp');

const FIXTURE = path.join(__dirname, '..', '..', 'test', 'fixtures', 'astronaut-640x480.jpg');
const grey = () => sharp({ create: { width: 640, height: 480, channels: 3, background: '#7a7a7a' } });

/** 640x480 frames with 0, 1 and 3 faces (three copies of the fixture at a third of its size: ~70 px faces). */
async function benchFrames() {
  const small = await sharp(FIXTURE).resize(213, 160).toBuffer();
  return {
    0: await grey().jpeg({ quality: 85 }).toBuffer(),
    1: await sharp(FIXTURE).jpeg({ quality: 85 }).toBuffer(),
    3: await grey()
      .composite([0, 1, 2].map((i) => ({ input: small, left: i * 213, top: 40 + i * 120 })))
      .jpeg({ quality: 85 })
      .toBuffer(),
  };
}

module.exports = { benchFrames, FIXTURE };
