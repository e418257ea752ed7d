'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { viewGrids, viewTheta, resolveViewCount } = require('../../dist/core/classification/test-time-views');
const { ExpressionClassifier } = require('../../dist/core/classification/expression-classifier');
const { readManifest } = require('../../dist/core/classification/model-manifest');
const { ROOT } = require('../support/paths');

const ID = { angle: 0, scale: 1, flip: false };

/** A crop with structure on both sides, and its mirror image. */
function crops() {
  const c = new Uint8Array(48 * 48);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) c[y * 48 + x] = (x * 5 + y * y + (x > 30 ? 90 : 0)) % 256;
  const m = new Uint8Array(c.length);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) m[y * 48 + x] = c[y * 48 + 47 - x];
  return [c, m];
}

describe('test-time views', function () {
  it('grids sample pixel centres, as torch.affine_grid with align_corners=False', () => {
    assert.deepEqual(Array.from(viewGrids([ID], 2)), [-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(Array.from(viewGrids([{ ...ID, flip: true }], 2)), [0.5, -0.5, -0.5, -0.5, 0.5, 0.5, -0.5, 0.5]);
    const [a, b, , d, e] = viewTheta({ angle: 90, scale: 2, flip: false });
    assert.ok(Math.abs(a) < 1e-12 && Math.abs(b + 0.5) < 1e-12 && Math.abs(d - 0.5) < 1e-12 && Math.abs(e) < 1e-12);
  });

  it("the shipped manifest lists training's views, and the grids equal PyTorch's", async function () {
    const { manifest } = await readManifest();
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import json, sys',
          'sys.path.insert(0, "training")',
          'from tta_views import VIEWS, view_grids',
          'print(json.dumps({"views": VIEWS, "grid": view_grids(VIEWS, 64).flatten().tolist()}))',
        ].join('\n'),
      ],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (py.status !== 0) {
      console.log("      (skipped: Debian's python3-torch is not installed; .ci/run installs it)");
      return this.skip();
    }
    const ref = JSON.parse(py.stdout);
    assert.deepEqual(manifest.views.list, ref.views);
    const ours = viewGrids(manifest.views.list, manifest.views.size);
    assert.equal(ours.length, ref.grid.length);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref.grid[i]));
    assert.ok(worst < 1e-6, `max difference ${worst}`);
  });

  it('a view count the model does not offer is refused with the choices', () => {
    const spec = { input: 'grid', size: 64, default: 2, choices: [1, 2, 6], list: Array(6).fill(ID) };
    assert.equal(resolveViewCount(spec), 2);
    assert.equal(resolveViewCount(spec, 6), 6);
    assert.throws(() => resolveViewCount(spec, 7), /1 to 6 test-time views \(1, 2, 6 are meaningful\), not 7/);
    assert.throws(() => resolveViewCount(spec, 1.5), /not 1.5/);
  });

  describe('in the shipped classifier', function () {
    const clfs = {};
    before(async () => {
      for (const n of [1, 2, 6]) clfs[n] = await ExpressionClassifier.create({ views: n });
    });
    after(() => Promise.all(Object.values(clfs).map((c) => c.release())));

    it("uses the manifest's default unless told otherwise", async () => {
      const { manifest } = await readManifest();
      const c = await ExpressionClassifier.create();
      try {
        assert.equal(c.views, manifest.views.default);
      } finally {
        await c.release();
      }
      await assert.rejects(ExpressionClassifier.create({ views: 9 }), /not 9/);
    });

    it('with 2 or 6 views a face and its mirror image get the same answer; with 1 they need not', async () => {
      const diff = (p, q) => Math.max(...Object.keys(p).map((l) => Math.abs(p[l] - q[l])));
      for (const n of [2, 6]) {
        const [a, b] = await clfs[n].classifyCrops(crops());
        assert.ok(diff(a.probabilities, b.probabilities) <= 2e-4, `${n} views: ${JSON.stringify([a, b])}`);
      }
      const [a, b] = await clfs[1].classifyCrops(crops());
      assert.ok(diff(a.probabilities, b.probabilities) > 1e-3, 'a single view sees the two crops differently');
    });

    it('more views average more passes: the answers differ but stay probabilities', async () => {
      const [c] = crops();
      const r = await Promise.all([1, 2, 6].map(async (n) => (await clfs[n].classifyCrops([c]))[0].probabilities));
      for (const p of r) assert.ok(Math.abs(Object.values(p).reduce((s, v) => s + v, 0) - 1) < 1e-3);
      assert.notDeepEqual(r[0], r[2]);
    });
  });
});
