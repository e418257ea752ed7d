/**
 * Converts a TFLite model (as read by tflite-reader) into an ONNX graph, for the operators the BlazeFace
 * models use. TFLite activations are NHWC; ONNX convolutions want NCHW, so the graph runs in NCHW and
 * transposes back to NHWC only where memory order matters (before a RESHAPE), which keeps the anchor
 * order of the detector heads (row, column, anchor) exactly as TFLite lays it out.
 *
 * The graph input is NCHW float32 ([1, 3, H, W]) so callers fill planar tensors directly.
 */
import { onnx } from 'onnx-proto';
import { BuiltinOp, builtinOpName, Table, TensorType, TfliteModel, TfliteTensor } from './tflite-reader';

export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

/** A constant known at conversion time (weights, shapes), kept in TFLite (NHWC/OHWI) layout. */
interface Constant {
  shape: number[];
  data: Float32Array | Int32Array;
}

const ACT_NONE = 0;
const ACT_RELU = 1;
const ACT_RELU6 = 3;
const PAD_SAME = 0;
const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}__${this.counter++}`;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: onnx.IAttributeProto[] = []): void {
    this.nodes.push({ opType, input: inputs, output: outputs, name: this.fresh(opType), attribute: attrs });
  }

  floatConst(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  int64Const(name: string, values: number[]): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  }
}

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({
  name,
  ints: values,
  type: onnx.AttributeProto.AttributeType.INTS,
});
const int = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  i: value,
  type: onnx.AttributeProto.AttributeType.INT,
});
const str = (name: string, value: string): onnx.IAttributeProto => ({
  name,
  s: new TextEncoder().encode(value),
  type: onnx.AttributeProto.AttributeType.STRING,
});
const float = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  f: value,
  type: onnx.AttributeProto.AttributeType.FLOAT,
});

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function readConstant(model: TfliteModel, t: TfliteTensor): Constant | null {
  const buf = model.buffers.at(t.buffer); // an index from the file: may point past the buffers
  if (!buf || buf.byteLength === 0) return null;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (bytes: number) => {
    if (buf.byteLength < n * bytes) {
      throw new UnsupportedModelError(`tensor "${t.name}" has ${buf.byteLength} bytes, expected ${n * bytes}`);
    }
  };
  switch (t.type) {
    case TensorType.FLOAT32:
      need(4);
      return { shape: t.shape, data: Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true)) };
    case TensorType.FLOAT16:
      need(2);
      return { shape: t.shape, data: Float32Array.from({ length: n }, (_, i) => halfToFloat(view.getUint16(i * 2, true))) };
    case TensorType.INT32:
      need(4);
      return { shape: t.shape, data: Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true)) };
    default:
      throw new UnsupportedModelError(
        `tensor "${t.name}" has unsupported type ${(TensorType as Record<number, string | undefined>)[t.type] ?? t.type}`,
      );
  }
}

/** Permutes a constant's axes (used for OHWI -> OIHW and 1HWC -> C1HW weight layouts). */
export function permute(c: Constant, perm: number[]): Float32Array {
  const shape = c.shape;
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(c.data.length);
  const idx = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rem = o;
    for (let d = outShape.length - 1; d >= 0; d--) {
      idx[d] = rem % outShape[d];
      rem = Math.floor(rem / outShape[d]);
    }
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += idx[d] * strides[perm[d]];
    out[o] = c.data[src];
  }
  return out;
}

/** TFLite SAME padding: the extra pixel (odd total) goes at the end. */
function samePads(inSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export interface ConvertedModel {
  /** Serialised ONNX ModelProto. */
  bytes: Uint8Array;
  inputName: string;
  /** Input shape as the ONNX graph takes it: [1, C, H, W]. */
  inputShape: number[];
  outputNames: string[];
  outputShapes: number[][];
}

/**
 * Converts `model` to ONNX (opset 13). Throws UnsupportedModelError naming the first operator or
 * option it cannot express.
 */
export function tfliteToOnnx(model: TfliteModel, graphName = 'converted'): ConvertedModel {
  const g = new GraphBuilder();
  const constants = new Map<number, Constant>();
  const layout = new Map<number, 'nchw' | 'plain'>(); // how each activation tensor is stored in ONNX
  const names = new Map<number, string>();
  const nameOf = (i: number): string => {
    let n = names.get(i);
    if (!n) {
      n = `t${i}_${model.tensors[i].name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      names.set(i, n);
    }
    return n;
  };
  model.tensors.forEach((t, i) => {
    const c = readConstant(model, t);
    if (c) constants.set(i, c);
  });
  const constOf = (i: number, what: string): Constant => {
    const c = constants.get(i);
    if (!c) throw new UnsupportedModelError(`${what} (tensor "${model.tensors[i].name}") must be a constant`);
    return c;
  };
  const isNchw = (i: number) => layout.get(i) === 'nchw';

  if (model.inputs.length !== 1) throw new UnsupportedModelError('expected exactly one input');
  const inIdx = model.inputs[0];
  const inShape = model.tensors[inIdx].shape;
  if (inShape.length !== 4) throw new UnsupportedModelError('expected a 4-D NHWC image input');
  layout.set(inIdx, 'nchw');

  const activation = (out: string, act: number, where: string): string => {
    if (act === ACT_NONE) return out;
    const pre = g.fresh(`${out}_preact`);
    // Rename: the op writes to `pre`, the activation produces `out`.
    const last = g.nodes[g.nodes.length - 1];
    last.output = [pre];
    if (act === ACT_RELU) g.node('Relu', [pre], [out]);
    else if (act === ACT_RELU6) {
      g.node(
        'Clip',
        [pre, g.floatConst(g.fresh('zero'), [], new Float32Array([0])), g.floatConst(g.fresh('six'), [], new Float32Array([6]))],
        [out],
      );
    } else throw new UnsupportedModelError(`${where}: fused activation ${act} is not supported`);
    return out;
  };

  const options = (op: { options: Table | null }, what: string): Table => {
    if (!op.options) throw new UnsupportedModelError(`${what} has no options`);
    return op.options;
  };

  for (const op of model.operators) {
    const name = builtinOpName(op.opcode);
    const ins = op.inputs;
    const outIdx = op.outputs[0];
    const out = nameOf(outIdx);
    const outT = model.tensors[outIdx];
    switch (op.opcode) {
      case BuiltinOp.DEQUANTIZE: {
        // fp16 weights: the reader already expanded them; the output is the same constant in fp32.
        constants.set(outIdx, constOf(ins[0], 'DEQUANTIZE input'));
        break;
      }
      case BuiltinOp.CONV_2D:
      case BuiltinOp.DEPTHWISE_CONV_2D: {
        const depthwise = op.opcode === BuiltinOp.DEPTHWISE_CONV_2D;
        const o = options(op, name);
        // Conv2DOptions: padding 0, stride_w 1, stride_h 2, act 3, dil_w 4, dil_h 5.
        // DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, act 4, dil_w 5, dil_h 6.
        const padding = o.int8(0);
        const sw = o.int32(1, 1);
        const sh = o.int32(2, 1);
        const act = o.int8(depthwise ? 4 : 3);
        const dw = o.int32(depthwise ? 5 : 4, 1);
        const dh = o.int32(depthwise ? 6 : 5, 1);
        const w = constOf(ins[1], `${name} weights`);
        const inT = model.tensors[ins[0]];
        const cin = inT.shape[3];
        let wData: Float32Array;
        let wDims: number[];
        let group = 1;
        if (depthwise) {
          // TFLite depthwise weights are [1, KH, KW, Cin*M]; ONNX wants [Cin*M, 1, KH, KW], group Cin.
          const [, kh, kw, cm] = w.shape;
          wData = permute(w, [3, 0, 1, 2]);
          wDims = [cm, 1, kh, kw];
          group = cin;
        } else {
          const [co, kh, kw, ci] = w.shape;
          if (ci !== cin) throw new UnsupportedModelError(`${name}: grouped convolution is not supported`);
          wData = permute(w, [0, 3, 1, 2]);
          wDims = [co, ci, kh, kw];
        }
        const [kh, kw] = [wDims[2], wDims[3]];
        const [pt, pb] = padding === PAD_SAME ? samePads(inT.shape[1], kh, sh, dh) : [0, 0];
        const [pl, pr] = padding === PAD_SAME ? samePads(inT.shape[2], kw, sw, dw) : [0, 0];
        const inputs = [nameOf(ins[0]), g.floatConst(`${out}_W`, wDims, wData)];
        if (ins.length > 2 && ins[2] >= 0) {
          const b = constOf(ins[2], `${name} bias`);
          inputs.push(g.floatConst(`${out}_B`, [b.data.length], Float32Array.from(b.data)));
        }
        g.node(
          'Conv',
          inputs,
          [out],
          [
            ints('kernel_shape', [kh, kw]),
            ints('strides', [sh, sw]),
            ints('dilations', [dh, dw]),
            ints('pads', [pt, pl, pb, pr]),
            int('group', group),
          ],
        );
        activation(out, act, name);
        layout.set(outIdx, 'nchw');
        break;
      }
      case BuiltinOp.MAX_POOL_2D:
      case BuiltinOp.AVERAGE_POOL_2D: {
        const o = options(op, name);
        // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, act 5.
        const [padding, sw, sh, fw, fh, act] = [o.int8(0), o.int32(1), o.int32(2), o.int32(3), o.int32(4), o.int8(5)];
        const inT = model.tensors[ins[0]];
        const [pt, pb] = padding === PAD_SAME ? samePads(inT.shape[1], fh, sh, 1) : [0, 0];
        const [pl, pr] = padding === PAD_SAME ? samePads(inT.shape[2], fw, sw, 1) : [0, 0];
        const attrs = [ints('kernel_shape', [fh, fw]), ints('strides', [sh, sw]), ints('pads', [pt, pl, pb, pr])];
        if (op.opcode === BuiltinOp.AVERAGE_POOL_2D) attrs.push(int('count_include_pad', 0));
        g.node(op.opcode === BuiltinOp.MAX_POOL_2D ? 'MaxPool' : 'AveragePool', [nameOf(ins[0])], [out], attrs);
        activation(out, act, name);
        layout.set(outIdx, 'nchw');
        break;
      }
      case BuiltinOp.ADD: {
        if (ins.some((i) => constants.has(i))) throw new UnsupportedModelError('ADD with a constant operand is not supported');
        if (isNchw(ins[0]) !== isNchw(ins[1])) throw new UnsupportedModelError('ADD of tensors in different layouts');
        g.node('Add', [nameOf(ins[0]), nameOf(ins[1])], [out]);
        activation(out, op.options ? op.options.int8(0) : ACT_NONE, name);
        layout.set(outIdx, layout.get(ins[0]) ?? 'plain');
        break;
      }
      case BuiltinOp.RELU:
        g.node('Relu', [nameOf(ins[0])], [out]);
        layout.set(outIdx, layout.get(ins[0]) ?? 'plain');
        break;
      case BuiltinOp.RELU6:
        g.node(
          'Clip',
          [
            nameOf(ins[0]),
            g.floatConst(g.fresh('zero'), [], new Float32Array([0])),
            g.floatConst(g.fresh('six'), [], new Float32Array([6])),
          ],
          [out],
        );
        layout.set(outIdx, layout.get(ins[0]) ?? 'plain');
        break;
      case BuiltinOp.PAD: {
        const p = constOf(ins[1], 'PAD paddings');
        const rank = p.shape[0];
        const before = Array.from({ length: rank }, (_, d) => p.data[d * 2]);
        const after = Array.from({ length: rank }, (_, d) => p.data[d * 2 + 1]);
        const perm = isNchw(ins[0]) ? NHWC_TO_NCHW : before.map((_, i) => i);
        const pads = [...perm.map((d) => before[d]), ...perm.map((d) => after[d])];
        g.node('Pad', [nameOf(ins[0]), g.int64Const(`${out}_pads`, pads)], [out], [str('mode', 'constant')]);
        layout.set(outIdx, layout.get(ins[0]) ?? 'plain');
        break;
      }
      case BuiltinOp.RESHAPE: {
        let src = nameOf(ins[0]);
        if (isNchw(ins[0])) {
          // Back to NHWC so the flattening order matches TFLite's.
          const t = g.fresh(`${out}_nhwc`);
          g.node('Transpose', [src], [t], [ints('perm', NCHW_TO_NHWC)]);
          src = t;
        }
        g.node('Reshape', [src, g.int64Const(`${out}_shape`, outT.shape)], [out]);
        layout.set(outIdx, 'plain');
        break;
      }
      case BuiltinOp.CONCATENATION: {
        const o = options(op, name);
        const rank = outT.shape.length;
        let axis = o.int32(0);
        if (axis < 0) axis += rank;
        const nchw = ins.every(isNchw);
        if (!nchw && ins.some(isNchw)) throw new UnsupportedModelError('CONCATENATION of tensors in different layouts');
        if (nchw) axis = NHWC_TO_NCHW.indexOf(axis);
        g.node('Concat', ins.map(nameOf), [out], [int('axis', axis)]);
        activation(out, o.int8(1), name);
        layout.set(outIdx, nchw ? 'nchw' : 'plain');
        break;
      }
      case BuiltinOp.RESIZE_BILINEAR: {
        if (!isNchw(ins[0])) throw new UnsupportedModelError('RESIZE_BILINEAR expects an image tensor');
        const o = op.options;
        // ResizeBilinearOptions: new_height 0, new_width 1 (deprecated), align_corners 2, half_pixel_centers 3.
        const alignCorners = o ? o.bool(2) : false;
        const halfPixel = o ? o.bool(3) : false;
        const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
        const [n, h, w, c] = outT.shape;
        g.node(
          'Resize',
          [nameOf(ins[0]), '', '', g.int64Const(`${out}_sizes`, [n, c, h, w])],
          [out],
          [str('mode', 'linear'), str('coordinate_transformation_mode', mode), float('cubic_coeff_a', -0.75)],
        );
        layout.set(outIdx, 'nchw');
        break;
      }
      default:
        throw new UnsupportedModelError(`TFLite operator ${name} is not supported by this converter`);
    }
  }

  const outputs: onnx.IValueInfoProto[] = [];
  const outputNames: string[] = [];
  const outputShapes: number[][] = [];
  for (const o of model.outputs) {
    let n = nameOf(o);
    const shape = model.tensors[o].shape;
    if (isNchw(o)) {
      const t = `${n}_nhwc`;
      g.node('Transpose', [n], [t], [ints('perm', NCHW_TO_NHWC)]);
      n = t;
    }
    if (constants.has(o)) throw new UnsupportedModelError('a constant graph output is not supported');
    outputs.push(valueInfo(n, shape));
    outputNames.push(n);
    outputShapes.push(shape);
  }
  const inputName = nameOf(inIdx);
  const inputShape = [inShape[0], inShape[3], inShape[1], inShape[2]];
  const modelProto: onnx.IModelProto = {
    irVersion: 7,
    producerName: '@lightexnet/node-red tflite-to-onnx',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: graphName,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, inputShape)],
      output: outputs,
    },
  };
  return {
    bytes: onnx.ModelProto.encode(modelProto).finish(),
    inputName,
    inputShape,
    outputNames,
    outputShapes,
  };
}

function valueInfo(name: string, shape: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => ({ dimValue: d })) },
      },
    },
  };
}
