'use strict';
/**
 * Ours against the expression pipelines Node-RED users install today, on the same 640x480 JPEG frames
 * (0, 1 and 3 faces), one process per system, taking turns frame batch by frame batch so machine noise
 * falls on all alike. Two measures: latency, each frame decoded and inferred one at a time (what a flow
 * with one camera sees when frames come slower than they are inferred); and throughput, a stream of 1-face
 * frames with several in the pipeline at once (a camera that sends faster than frames are inferred): ours
 * with one frame per inference worker plus two (what the nodes do), the peers with 2 (tfjs WASM has no
 * threads in Node, WASM_HAS_MULTITHREAD_SUPPORT is false, so more cannot help; 2 lets the decode overlap).
 * Peers run on tfjs WASM (tfjs-node downloads a native library at install, which an offline gateway cannot).
 *
 *   npm run build && node bench/compare/run.js [--rounds 8] [--batch 5] [--stream-rounds 3] [--stream-seconds 3]
 *     [--systems ours-native,ours-wasm,human,faceapi-tiny,faceapi-ssd]
 *
 * Installs its peers into bench/compare/node_modules on first use (npm registry only; not part of the
 * package or of npm test). Writes results/compare.json, results/compare.md and results/compare.png.
 */
const { fork, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..', '..');
const sharp = require(require.resolve('sharp', { paths: [ROOT] }));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    batch: { type: 'string', default: '5' },
    'stream-rounds': { type: 'string', default: '3' },
    'stream-seconds': { type: 'string', default: '3' },
    systems: { type: 'string', default: 'ours-native,ours-wasm,human,faceapi-tiny,faceapi-ssd' },
  },
});
const SYSTEMS = values.systems.split(',');
const OUT = path.join(__dirname, 'results');
const { benchFrames } = require('../support/frames');

function start(system) {
  const child = fork(path.join(__dirname, 'peer.js'), [system], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiters = [];
  const state = { child, coldStartMs: undefined };
  child.on('message', (m) => {
    if (m.coldStartMs !== undefined) state.coldStartMs = m.coldStartMs;
    else waiters.shift()?.(m);
  });
  state.next = () => new Promise((r) => waiters.push(r));
  return state;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
};
const r1 = (v) => Math.round(v * 10) / 10;

/** ms per frame against faces per frame, one line per system. */
function chart(rows, faceCounts) {
  const W = 720;
  const H = 420;
  const m = { l: 60, r: 250, t: 30, b: 50 };
  const maxMs = Math.max(...rows.flatMap((r) => faceCounts.map((f) => r.msPerFrame[f])));
  const x = (f) => m.l + (f / Math.max(...faceCounts)) * (W - m.l - m.r);
  const y = (v) => H - m.b - (v / maxMs) * (H - m.t - m.b);
  const colours = ['#1b7f3b', '#58b368', '#d9822b', '#3e6fb0', '#8e44ad', '#555'];
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`;
  svg += `<rect width="${W}" height="${H}" fill="#fff"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (maxMs * i) / 4;
    svg += `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`;
  }
  for (const f of faceCounts) svg += `<text x="${x(f)}" y="${H - m.b + 18}" text-anchor="middle">${f}</text>`;
  svg += `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">faces per 640×480 frame</text>`;
  svg += `<text x="16" y="${(H - m.b + m.t) / 2}" transform="rotate(-90 16 ${(H - m.b + m.t) / 2})" text-anchor="middle">ms per frame (median)</text>`;
  rows.forEach((r, i) => {
    const c = colours[i % colours.length];
    svg += `<polyline fill="none" stroke="${c}" stroke-width="2.5" points="${faceCounts.map((f) => `${x(f)},${y(r.msPerFrame[f])}`).join(' ')}"/>`;
    for (const f of faceCounts) svg += `<circle cx="${x(f)}" cy="${y(r.msPerFrame[f])}" r="3.5" fill="${c}"/>`;
    svg += `<rect x="${W - m.r + 14}" y="${m.t + i * 22}" width="14" height="4" fill="${c}"/><text x="${W - m.r + 34}" y="${m.t + i * 22 + 6}">${esc(r.short)}</text>`;
  });
  return `${svg}</svg>`;
}

async function main() {
  if (SYSTEMS.some((s) => !s.startsWith('ours')) && !fs.existsSync(path.join(__dirname, 'node_modules', '@vladmandic'))) {
    console.error('installing the peers into bench/compare/node_modules (npm registry only)…');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', __dirname], { stdio: 'inherit' });
  }
  const fr = await benchFrames();
  const faceCounts = Object.keys(fr).map(Number);
  const procs = {};
  for (const s of SYSTEMS) {
    // One at a time, each to its first result (1 face): the cold start, with nothing else loading.
    procs[s] = start(s);
    const m = await procs[s].next();
    if (m.error) throw new Error(`${s}: ${m.error}`);
    procs[s].child.send({ op: 'run', frame: fr[1].toString('base64'), count: 1 });
    await procs[s].next();
  }
  const times = Object.fromEntries(SYSTEMS.map((s) => [s, Object.fromEntries(faceCounts.map((f) => [f, []]))]));
  const seen = {};
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const f of faceCounts) {
      for (const s of SYSTEMS) {
        procs[s].child.send({ op: 'run', frame: fr[f].toString('base64'), count: Number(values.batch) });
        const m = await procs[s].next();
        if (round > 0) times[s][f].push(...m.ms); // round 0 warms up
        seen[s] = { label: m.label, rssMB: m.rssMB, labels: { ...(seen[s]?.labels ?? {}), [f]: m.labels } };
      }
    }
  }
  // Throughput: each system's stream in turn, round after round.
  const ourWorkers = Math.max(1, Math.min(4, require('node:os').availableParallelism()));
  const inFlight = (s) => (s.startsWith('ours') ? ourWorkers + 2 : 2);
  const fps = Object.fromEntries(SYSTEMS.map((s) => [s, []]));
  for (let round = 0; round < Number(values['stream-rounds']); round++) {
    for (const s of SYSTEMS) {
      procs[s].child.send({
        op: 'stream',
        frame: fr[1].toString('base64'),
        seconds: Number(values['stream-seconds']),
        inFlight: inFlight(s),
      });
      fps[s].push((await procs[s].next()).framesPerS);
    }
  }
  const rows = SYSTEMS.map((s) => ({
    system: s,
    short: seen[s].label.replace(/ \(.*/, '') + (s.startsWith('faceapi') ? (s.endsWith('tiny') ? ' tiny' : ' SSD') : ''),
    label: seen[s].label,
    msPerFrame: Object.fromEntries(faceCounts.map((f) => [f, r1(median(times[s][f]))])),
    facesFound: Object.fromEntries(faceCounts.map((f) => [f, seen[s].labels[f].length])),
    coldStartMs: Math.round(procs[s].coldStartMs),
    rssMB: Math.round(seen[s].rssMB),
    streamInFlight: inFlight(s),
    framesPerS: r1(median(fps[s])),
  }));
  for (const r of rows) r.msPerExtraFace = r1((r.msPerFrame[3] - r.msPerFrame[1]) / 2);
  const ours = rows.find((r) => r.system === 'ours-native') ?? rows[0];
  for (const r of rows) r.latencyVsOurs = r1(ours.msPerFrame[1] > 0 ? r.msPerFrame[1] / ours.msPerFrame[1] : NaN);
  for (const r of rows) r.throughputVsOurs = r1(r.framesPerS > 0 ? ours.framesPerS / r.framesPerS : NaN);
  const human = rows.find((r) => r.system === 'human');
  const oursWasm = rows.find((r) => r.system === 'ours-wasm');
  for (const p of Object.values(procs)) p.child.kill();

  const result = {
    date: new Date().toISOString(),
    machine: `${require('node:os').cpus()[0].model}, ${require('node:os').availableParallelism()} cores`,
    node: process.version,
    rounds: Number(values.rounds),
    batch: Number(values.batch),
    streamRounds: Number(values['stream-rounds']),
    streamSeconds: Number(values['stream-seconds']),
    rows,
    // The WASM fallback against Human (both on WASM), the two measures.
    oursWasmVsHuman:
      human && oursWasm
        ? { latency: r1(human.msPerFrame[1] / oursWasm.msPerFrame[1]), throughput: r1(oursWasm.framesPerS / human.framesPerS) }
        : undefined,
  };
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'compare.json'), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `| system | ms/frame, 0 faces | 1 face | 3 faces | ms per extra face | faces found (0/1/3) | cold start ms | RSS MB | ours native is … × faster (1 face, one at a time) | frames/s, stream of 1-face frames (in flight) | ours native's throughput is … × |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.msPerFrame[0]} | ${r.msPerFrame[1]} | ${r.msPerFrame[3]} | ${r.msPerExtraFace} | ${faceCounts.map((f) => r.facesFound[f]).join('/')} | ${r.coldStartMs} | ${r.rssMB} | ${r.system === ours.system ? '—' : r.latencyVsOurs.toFixed(1)} | ${r.framesPerS} (${r.streamInFlight}) | ${r.system === ours.system ? '—' : r.throughputVsOurs.toFixed(1)} |`,
    ),
    ...(result.oursWasmVsHuman
      ? [
          '',
          `Ours on WASM against Human (both WASM): ${result.oursWasmVsHuman.latency.toFixed(1)}× faster one frame at a time, ${result.oursWasmVsHuman.throughput.toFixed(1)}× the throughput.`,
        ]
      : []),
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'compare.md'), `${md}\n`);
  await sharp(Buffer.from(chart(rows, faceCounts)))
    .png()
    .toFile(path.join(OUT, 'compare.png'));
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
