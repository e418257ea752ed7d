'use strict';
/**
 * Seeded fuzzing of the inference nodes on a real Node-RED runtime: mutated JPEG/PNG/WebP/GIF/TIFF frames
 * and hand-made hostile messages go to lightexnet-classify (detect mode: decode, detect, crop, classify);
 * each must end in a result or in an error at the Catch node, and a valid frame right after it must still be
 * classified. Used by test/nodes/fuzz.test.js (1,000+ cases) and scripts/fuzz.js (as many as you like).
 */
const path = require('node:path');
const sharp = require('sharp');
const { helper, ALL_NODES, classifyFlow } = require('./flow');
const { FIXTURES } = require('./paths');
const { prng } = require('./prng');

/** The seed frames: the test photo in every format sharp writes, small so a case is fast. */
async function seedFrames() {
  const base = sharp(path.join(FIXTURES, 'astronaut-640x480.jpg')).resize(192, 144);
  return {
    jpeg: await base.clone().jpeg({ quality: 80 }).toBuffer(),
    png: await base.clone().png().toBuffer(),
    webp: await base.clone().webp().toBuffer(),
    gif: await base.clone().gif().toBuffer(),
    tiff: await base.clone().tiff().toBuffer(),
  };
}

const MUTATIONS = {
  flipBits(buf, r) {
    const out = Buffer.from(buf);
    const n = 1 + Math.floor(r() * 16);
    for (let i = 0; i < n; i++) out[Math.floor(r() * out.length)] ^= 1 << Math.floor(r() * 8);
    return out;
  },
  overwrite(buf, r) {
    const out = Buffer.from(buf);
    const at = Math.floor(r() * out.length);
    const len = Math.min(out.length - at, 1 + Math.floor(r() * 64));
    for (let i = 0; i < len; i++) out[at + i] = Math.floor(r() * 256);
    return out;
  },
  truncate(buf, r) {
    return buf.subarray(0, Math.floor(r() * buf.length));
  },
  insert(buf, r) {
    const at = Math.floor(r() * buf.length);
    const junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 256) }, () => Math.floor(r() * 256)));
    return Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
  },
  header(buf, r) {
    // The first bytes carry the format's magic number and the declared size: where parsers trust most.
    const out = Buffer.from(buf);
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) out[Math.floor(r() * Math.min(64, out.length))] = Math.floor(r() * 256);
    return out;
  },
  zeroSpan(buf, r) {
    const out = Buffer.from(buf);
    const at = Math.floor(r() * out.length);
    out.fill(0, at, Math.min(out.length, at + Math.floor(r() * 512)));
    return out;
  },
  repeatChunk(buf, r) {
    const at = Math.floor(r() * buf.length);
    const len = Math.floor(r() * Math.min(4096, buf.length - at));
    const chunk = buf.subarray(at, at + len);
    return Buffer.concat([buf.subarray(0, at), chunk, chunk, buf.subarray(at + len)]);
  },
};

/** A PNG whose header declares 100000 x 100000 pixels (a decompression bomb's first step). */
function hugePngHeader(png) {
  const out = Buffer.from(png);
  out.writeUInt32BE(100000, 16);
  out.writeUInt32BE(100000, 20);
  return out;
}

/** Hand-made hostile messages; each must reach the Catch node (or classify, where marked ok). */
function hostileCases(frames) {
  const b64 = frames.jpeg.toString('base64');
  return [
    ['empty buffer', { payload: Buffer.alloc(0) }],
    ['one byte', { payload: Buffer.from([0xff]) }],
    ['JPEG magic only', { payload: Buffer.from([0xff, 0xd8, 0xff]) }],
    ['huge PNG header', { payload: hugePngHeader(frames.png) }],
    ['garbage base64 data URL', { payload: 'data:image/jpeg;base64,%%%not base64%%%' }],
    ['empty data URL', { payload: 'data:image/png;base64,' }],
    ['data URL of text', { payload: `data:image/jpeg;base64,${Buffer.from('hello').toString('base64')}` }],
    ['plain string', { payload: 'hello' }],
    ['number', { payload: 42 }],
    ['null', { payload: null }],
    ['undefined', {}],
    ['object', { payload: { foo: 1 } }],
    ['array of non-bytes', { payload: [1, 2, 3000] }],
    ['raw with wrong length', { payload: { data: Buffer.alloc(10), width: 4, height: 4, channels: 3 } }],
    ['raw with negative size', { payload: { data: Buffer.alloc(12), width: -2, height: -2, channels: 3 } }],
    ['raw with 2 channels', { payload: { data: Buffer.alloc(8), width: 2, height: 2, channels: 2 } }],
    ['raw of 60000x60000', { payload: { data: Buffer.alloc(12), width: 60000, height: 60000, channels: 3 } }],
    ['faces with NaN box', { payload: [{ box: { x: NaN, y: 0, width: 10, height: 10 } }], image: frames.jpeg }],
    ['faces with a 60,000 px box', { payload: [{ box: { x: 0, y: 0, width: 60000, height: 60000 } }], image: frames.jpeg }, 'ok'],
    ['faces without a frame', { payload: [{ box: { x: 0, y: 0, width: 10, height: 10 } }] }],
    ['faces on a corrupt frame', { payload: [{ box: { x: 0, y: 0, width: 10, height: 10 } }], image: Buffer.from('nope') }],
    ['valid data URL', { payload: `data:image/jpeg;base64,${b64}` }, 'ok'],
    ['Buffer-JSON frame', { payload: JSON.parse(JSON.stringify(frames.jpeg)) }, 'ok'],
  ];
}

/**
 * Runs `count` mutated frames plus the hostile cases through a loaded classify flow; after each case a
 * valid frame must be classified. Returns counts; throws on the first broken invariant, naming the case.
 */
async function fuzz({ count, seed = 1 }) {
  const frames = await seedFrames();
  const flow = classifyFlow({ views: 1 });
  await helper.load(ALL_NODES, flow);
  const node = helper.getNode('k');
  // Every message ends in exactly one of: a result, or an error at the Catch node.
  let waiting;
  const settle = (kind, msg) => {
    if (!waiting) throw new Error(`an unexpected ${kind} arrived`);
    const w = waiting;
    waiting = undefined;
    w({ kind, msg });
  };
  helper.getNode('out').on('input', (msg) => settle('result', msg));
  helper.getNode('caught').on('input', (msg) => settle('error', msg));
  const send = (msg, label) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: neither a result nor an error within 60 s`)), 60000);
      waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      node.receive(msg);
    });
  const stats = { cases: 0, results: 0, errors: 0, byMutation: {} };
  const check = async (label, msg, expectOk) => {
    const r = await send(msg, label);
    stats.cases++;
    if (r.kind === 'result') stats.results++;
    else stats.errors++;
    if (expectOk === 'ok' && r.kind !== 'result') throw new Error(`${label}: expected a result, got error ${r.msg.error.message}`);
    if (expectOk === 'error' && r.kind !== 'error') throw new Error(`${label}: expected an error at the Catch node`);
    if (r.kind === 'error' && !(typeof r.msg.error?.message === 'string' && r.msg.error.message.length > 0))
      throw new Error(`${label}: an error without a message`);
    const after = await send({ payload: frames.jpeg }, `${label} (valid frame after it)`);
    if (after.kind !== 'result' || after.msg.payload.length !== 1) throw new Error(`${label}: the valid frame after it was not classified`);
    return r;
  };
  try {
    for (const [name, msg, expect] of hostileCases(frames)) await check(`hostile: ${name}`, msg, expect ?? 'error');
    const formats = Object.keys(frames);
    const names = Object.keys(MUTATIONS);
    for (let i = 0; i < count; i++) {
      const r = prng(seed * 100003 + i);
      const format = formats[i % formats.length];
      const mutation = names[Math.floor(r() * names.length)];
      const label = `seed ${seed} case ${i}: ${mutation} of ${format}`;
      const res = await check(label, { payload: MUTATIONS[mutation](frames[format], r) });
      // The helper's sinon spies keep every node call (see bench/soak.js): forget them on long runs.
      if (i % 500 === 499) helper._sandbox.resetHistory();
      const key = `${format}/${mutation}`;
      stats.byMutation[key] = stats.byMutation[key] || { results: 0, errors: 0 };
      stats.byMutation[key][res.kind === 'result' ? 'results' : 'errors']++;
    }
  } finally {
    await helper.unload();
  }
  return stats;
}

module.exports = { fuzz, seedFrames, MUTATIONS };
