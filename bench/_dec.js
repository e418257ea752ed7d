const sharp = require('sharp');
const bytes = require('fs').readFileSync('test/fixtures/astronaut-640x480.jpg');
const f = () => sharp(bytes, { limitInputPixels: 5e7, failOn: 'truncated' }).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
(async () => {
  if (process.argv[2] !== 'default') sharp.concurrency(Number(process.argv[2]));
  for (let i = 0; i < 50; i++) await f();
  const t = [];
  for (let i = 0; i < 800; i++) { const t0 = process.hrtime.bigint(); await f(); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  t.sort((a, b) => a - b);
  console.log(process.argv[2], 'median', t[400].toFixed(3), 'p90', t[720].toFixed(3), 'conc', sharp.concurrency());
})();
