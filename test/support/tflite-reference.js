'use strict';
/**
 * A deliberately naive TFLite interpreter for the BlazeFace operators, working in TFLite's own NHWC/OHWI
 * layouts with TFLite's padding rules. It shares nothing with the converter except the flatbuffer reader,
 * so agreement between it and onnxruntime on the converted graph checks the layout transposes, weight
 * permutations, padding and anchor order of the conversion.
 */
const { BuiltinOp } = require('../../dist/core/detection/tflite-reader');

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function constant(model, t) {
  const buf = model.buffers[t.buffer];
  if (!buf || buf.length === 0) return null;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = t.type === 0 ? dv.getFloat32(i * 4, true) : t.type === 1 ? halfToFloat(dv.getUint16(i * 2, true)) : dv.getInt32(i * 4, true);
  }
  return { shape: t.shape, data: out };
}

function act(v, a) {
  if (a === 1) return Math.max(0, v);
  if (a === 3) return Math.min(6, Math.max(0, v));
  return v;
}

function samePad(inSize, k, s, d) {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - inSize, 0);
  return Math.floor(total / 2);
}

/** Runs the model on an NHWC Float64Array input; returns the output tensors as {shape, data}. */
function runReference(model, input) {
  const vals = new Map();
  model.tensors.forEach((t, i) => {
    const c = constant(model, t);
    if (c) vals.set(i, c);
  });
  vals.set(model.inputs[0], { shape: model.tensors[model.inputs[0]].shape, data: input });
  for (const op of model.operators) {
    const ins = op.inputs.map((i) => (i >= 0 ? vals.get(i) : null));
    const outShape = model.tensors[op.outputs[0]].shape;
    const size = outShape.reduce((a, b) => a * b, 1);
    const out = new Float64Array(size);
    const o = op.options;
    switch (op.opcode) {
      case BuiltinOp.DEQUANTIZE:
        out.set(ins[0].data);
        break;
      case BuiltinOp.CONV_2D:
      case BuiltinOp.DEPTHWISE_CONV_2D: {
        const dw = op.opcode === BuiltinOp.DEPTHWISE_CONV_2D;
        const same = o.int8(0) === 0;
        const sw = o.int32(1, 1),
          sh = o.int32(2, 1);
        const a = o.int8(dw ? 4 : 3);
        const [, H, W, C] = ins[0].shape;
        const w = ins[1];
        const [, OH, OW, OC] = outShape;
        const KH = w.shape[1],
          KW = w.shape[2];
        const pt = same ? samePad(H, KH, sh, 1) : 0;
        const pl = same ? samePad(W, KW, sw, 1) : 0;
        const mult = dw ? OC / C : 0;
        for (let y = 0; y < OH; y++)
          for (let x = 0; x < OW; x++)
            for (let oc = 0; oc < OC; oc++) {
              let s = ins[2] ? ins[2].data[oc] : 0;
              for (let ky = 0; ky < KH; ky++) {
                const iy = y * sh - pt + ky;
                if (iy < 0 || iy >= H) continue;
                for (let kx = 0; kx < KW; kx++) {
                  const ix = x * sw - pl + kx;
                  if (ix < 0 || ix >= W) continue;
                  const base = (iy * W + ix) * C;
                  if (dw) {
                    const ic = Math.floor(oc / mult);
                    s += ins[0].data[base + ic] * w.data[(ky * KW + kx) * OC + oc];
                  } else {
                    const wb = ((oc * KH + ky) * KW + kx) * C;
                    for (let ic = 0; ic < C; ic++) s += ins[0].data[base + ic] * w.data[wb + ic];
                  }
                }
              }
              out[(y * OW + x) * OC + oc] = act(s, a);
            }
        break;
      }
      case BuiltinOp.MAX_POOL_2D: {
        const same = o.int8(0) === 0;
        const sw = o.int32(1),
          sh = o.int32(2),
          fw = o.int32(3),
          fh = o.int32(4);
        const [, H, W, C] = ins[0].shape;
        const [, OH, OW] = outShape;
        const pt = same ? samePad(H, fh, sh, 1) : 0;
        const pl = same ? samePad(W, fw, sw, 1) : 0;
        for (let y = 0; y < OH; y++)
          for (let x = 0; x < OW; x++)
            for (let c = 0; c < C; c++) {
              let m = -Infinity;
              for (let ky = 0; ky < fh; ky++)
                for (let kx = 0; kx < fw; kx++) {
                  const iy = y * sh - pt + ky,
                    ix = x * sw - pl + kx;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = Math.max(m, ins[0].data[(iy * W + ix) * C + c]);
                }
              out[(y * OW + x) * C + c] = act(m, o.int8(5));
            }
        break;
      }
      case BuiltinOp.ADD: {
        const a = o ? o.int8(0) : 0;
        for (let i = 0; i < size; i++) out[i] = act(ins[0].data[i] + ins[1].data[i], a);
        break;
      }
      case BuiltinOp.RELU:
        for (let i = 0; i < size; i++) out[i] = Math.max(0, ins[0].data[i]);
        break;
      case BuiltinOp.PAD: {
        const p = ins[1].data;
        const [, H, W, C] = ins[0].shape;
        const [, , OW, OC] = outShape;
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++)
            for (let c = 0; c < C; c++) {
              out[((y + p[2]) * OW + x + p[4]) * OC + c + p[6]] = ins[0].data[(y * W + x) * C + c];
            }
        break;
      }
      case BuiltinOp.RESHAPE:
        out.set(ins[0].data);
        break;
      case BuiltinOp.CONCATENATION: {
        // Only the last-axis concatenation of equally-leading tensors (what BlazeFace uses).
        let axis = o.int32(0);
        if (axis < 0) axis += outShape.length;
        const outer = outShape.slice(0, axis).reduce((a, b) => a * b, 1);
        let off = 0;
        const rowOut = size / outer;
        for (const t of ins) {
          const row = t.data.length / outer;
          for (let r = 0; r < outer; r++) for (let j = 0; j < row; j++) out[r * rowOut + off + j] = t.data[r * row + j];
          off += row;
        }
        break;
      }
      case BuiltinOp.RESIZE_BILINEAR: {
        const align = o ? o.bool(2) : false;
        const half = o ? o.bool(3) : false;
        const [, H, W, C] = ins[0].shape;
        const [, OH, OW] = outShape;
        const sy = align && OH > 1 ? (H - 1) / (OH - 1) : H / OH;
        const sx = align && OW > 1 ? (W - 1) / (OW - 1) : W / OW;
        const src = (v, s) => (half ? (v + 0.5) * s - 0.5 : v * s);
        for (let y = 0; y < OH; y++) {
          const fy = src(y, sy);
          const y0 = Math.max(0, Math.floor(fy)),
            y1 = Math.min(H - 1, Math.ceil(fy));
          const ly = fy - Math.floor(fy);
          for (let x = 0; x < OW; x++) {
            const fx = src(x, sx);
            const x0 = Math.max(0, Math.floor(fx)),
              x1 = Math.min(W - 1, Math.ceil(fx));
            const lx = fx - Math.floor(fx);
            for (let c = 0; c < C; c++) {
              const g = (yy, xx) => ins[0].data[(yy * W + xx) * C + c];
              const top = g(y0, x0) + (g(y0, x1) - g(y0, x0)) * lx;
              const bot = g(y1, x0) + (g(y1, x1) - g(y1, x0)) * lx;
              out[(y * OW + x) * C + c] = top + (bot - top) * ly;
            }
          }
        }
        break;
      }
      default:
        throw new Error(`reference interpreter: operator ${op.opcode} not implemented`);
    }
    vals.set(op.outputs[0], { shape: outShape, data: out });
  }
  return model.outputs.map((i) => vals.get(i));
}

module.exports = { runReference };
