/**
 * Test-time views: the classifier graph averages its probabilities over several views of each crop
 * (mirrored, slightly rotated), given as sampling grids. The grids are built here exactly as training
 * builds them (torch's affine_grid, align_corners=False; training/tta_views.py), so the only thing a
 * caller chooses is how many views to pay for.
 */

export interface TestTimeView {
  /** Rotation in degrees. */
  angle: number;
  /** Zoom-in factor (1 = none). */
  scale: number;
  /** Mirror horizontally. */
  flip: boolean;
}

export interface ViewsSpec {
  /** The graph input that takes the grids (V x size x size x 2). */
  input: string;
  /** The network's input size the grids resample to. */
  size: number;
  /** How many views (a prefix of `list`) to run unless told otherwise (chosen on PublicTest). */
  default: number;
  /** The default on the WASM runtime, where each view costs ~5x what it costs natively (absent: `default`). */
  wasmDefault?: number;
  /** The prefixes that make sense, e.g. [1, 2, 6]. */
  choices: number[];
  list: TestTimeView[];
}

/** Output -> input affine matrix of a view in normalised coordinates, row-major 2x3. */
export function viewTheta(v: TestTimeView): number[] {
  const a = (v.angle * Math.PI) / 180;
  const c = Math.cos(a) / v.scale;
  const s = Math.sin(a) / v.scale;
  const f = v.flip ? -1 : 1;
  return [c * f, -s, 0, s * f, c, 0];
}

/** Sampling grids for the views, V x size x size x (x, y), as torch.nn.functional.affine_grid makes them. */
export function viewGrids(views: TestTimeView[], size: number): Float32Array {
  const out = new Float32Array(views.length * size * size * 2);
  let k = 0;
  for (const v of views) {
    const [a, b, c, d, e, f] = viewTheta(v);
    for (let i = 0; i < size; i++) {
      const y = (2 * i + 1) / size - 1;
      for (let j = 0; j < size; j++) {
        const x = (2 * j + 1) / size - 1;
        out[k++] = a * x + b * y + c;
        out[k++] = d * x + e * y + f;
      }
    }
  }
  return out;
}

/** The number of views to run: the requested one if the model offers it, else the model's default for
 *  the runtime. */
export function resolveViewCount(spec: ViewsSpec, requested?: number, backend: 'native' | 'wasm' = 'native'): number {
  if (requested === undefined || requested === 0) return backend === 'wasm' ? (spec.wasmDefault ?? spec.default) : spec.default;
  if (!Number.isInteger(requested) || requested < 1 || requested > spec.list.length) {
    throw new RangeError(
      `this model offers 1 to ${spec.list.length} test-time views (${spec.choices.join(', ')} are meaningful), not ${requested}`,
    );
  }
  return requested;
}
