/**
 * A minimal reader for TFLite flatbuffers: just the parts of schema.fbs that BlazeFace uses (model,
 * subgraph, tensors, buffers, operators and the option tables of the operators we convert).
 * Flatbuffer layout: a table starts with an int32 offset back to its vtable; the vtable lists, per field
 * id, the field's offset inside the table (0 = absent, use the default).
 */

export enum TensorType {
  FLOAT32 = 0,
  FLOAT16 = 1,
  INT32 = 2,
  UINT8 = 3,
  INT64 = 4,
  INT8 = 9,
}

/** Builtin operator codes from TFLite's schema (only the ones we name; others print as numbers). */
export const BuiltinOp = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEPTH_TO_SPACE: 5,
  DEQUANTIZE: 6,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  RESIZE_BILINEAR: 23,
  PAD: 34,
  PRELU: 54,
  DENSIFY: 124,
} as const;

export const builtinOpName = (code: number): string =>
  Object.entries(BuiltinOp).find(([, c]) => c === code)?.[0] ?? `builtin operator ${code}`;

export interface TfliteTensor {
  name: string;
  shape: number[];
  type: TensorType;
  /** Index into the model's buffers; buffer 0 is the empty sentinel. */
  buffer: number;
}

export interface TfliteOperator {
  opcode: number;
  inputs: number[];
  outputs: number[];
  /** The builtin options table, read lazily by the converter with the field ids of its option type. */
  options: Table | null;
}

export interface TfliteModel {
  version: number;
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
  buffers: Uint8Array[];
}

export class TfliteFormatError extends Error {
  constructor(message: string) {
    super(`invalid TFLite model: ${message}`);
    this.name = 'TfliteFormatError';
  }
}

/** A flatbuffer table: reads fields by id with bounds checks. */
export class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    private readonly view: DataView,
    readonly pos: number,
  ) {
    check(view, pos, 4);
    this.vtable = pos - view.getInt32(pos, true);
    check(view, this.vtable, 4);
    this.vtableSize = view.getUint16(this.vtable, true);
  }

  private fieldPos(id: number): number {
    const slot = 4 + id * 2;
    if (slot >= this.vtableSize) return 0;
    const off = this.view.getUint16(this.vtable + slot, true);
    return off === 0 ? 0 : this.pos + off;
  }

  private deref(p: number): number {
    check(this.view, p, 4);
    return p + this.view.getUint32(p, true);
  }

  int32(id: number, dflt = 0): number {
    const p = this.fieldPos(id);
    return p ? this.view.getInt32(p, true) : dflt;
  }

  uint32(id: number, dflt = 0): number {
    const p = this.fieldPos(id);
    return p ? this.view.getUint32(p, true) : dflt;
  }

  int8(id: number, dflt = 0): number {
    const p = this.fieldPos(id);
    return p ? this.view.getInt8(p) : dflt;
  }

  bool(id: number, dflt = false): boolean {
    const p = this.fieldPos(id);
    return p ? this.view.getUint8(p) !== 0 : dflt;
  }

  table(id: number): Table | null {
    const p = this.fieldPos(id);
    return p ? new Table(this.view, this.deref(p)) : null;
  }

  string(id: number): string {
    const bytes = this.bytes(id);
    return bytes ? new TextDecoder().decode(bytes) : '';
  }

  /** A vector of scalars or bytes: returns [start, length]. */
  private vector(id: number): [number, number] | null {
    const p = this.fieldPos(id);
    if (!p) return null;
    const start = this.deref(p);
    check(this.view, start, 4);
    return [start + 4, this.view.getUint32(start, true)];
  }

  bytes(id: number): Uint8Array | null {
    const v = this.vector(id);
    if (!v) return null;
    check(this.view, v[0], v[1]);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + v[0], v[1]);
  }

  int32Vector(id: number): number[] {
    const v = this.vector(id);
    if (!v) return [];
    check(this.view, v[0], v[1] * 4);
    return Array.from({ length: v[1] }, (_, i) => this.view.getInt32(v[0] + i * 4, true));
  }

  tableVector(id: number): Table[] {
    const v = this.vector(id);
    if (!v) return [];
    check(this.view, v[0], v[1] * 4);
    return Array.from({ length: v[1] }, (_, i) => new Table(this.view, this.deref(v[0] + i * 4)));
  }
}

function check(view: DataView, pos: number, len: number): void {
  if (pos < 0 || len < 0 || pos + len > view.byteLength) {
    throw new TfliteFormatError(`offset ${pos}+${len} is outside the ${view.byteLength}-byte file`);
  }
}

/** Parses a .tflite file. Only the first subgraph is read (BlazeFace has one). */
export function readTflite(data: Uint8Array): TfliteModel {
  if (data.byteLength < 16) throw new TfliteFormatError('file too short');
  const ident = new TextDecoder().decode(data.subarray(4, 8));
  if (ident !== 'TFL3') throw new TfliteFormatError(`file identifier is "${ident}", expected "TFL3"`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const model = new Table(view, view.getUint32(0, true));

  // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4.
  const opcodes = model.tableVector(1).map((oc) => {
    // OperatorCode: deprecated_builtin_code (int8) 0, builtin_code (int32) 3; the larger one is right.
    return Math.max(oc.int8(0), oc.int32(3));
  });
  const subgraphs = model.tableVector(2);
  if (subgraphs.length === 0) throw new TfliteFormatError('no subgraph');
  const buffers = model.tableVector(4).map((b) => {
    if (b.uint32(1) !== 0 || b.uint32(2) !== 0) {
      throw new TfliteFormatError('buffers stored outside the flatbuffer (offset/size) are not supported');
    }
    return b.bytes(0) ?? new Uint8Array(0);
  });

  const sg = subgraphs[0];
  // SubGraph: tensors 0, inputs 1, outputs 2, operators 3.
  const tensors = sg.tableVector(0).map((t): TfliteTensor => ({
    // Tensor: shape 0, type 1, buffer 2, name 3.
    shape: t.int32Vector(0),
    type: tensorType(t.int8(1)),
    buffer: t.uint32(2),
    name: t.string(3),
  }));
  const operators = sg.tableVector(3).map((op): TfliteOperator => {
    // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4.
    const idx = op.uint32(0);
    if (idx >= opcodes.length) throw new TfliteFormatError(`opcode index ${idx} out of range`);
    return { opcode: opcodes[idx], inputs: op.int32Vector(1), outputs: op.int32Vector(2), options: op.table(4) };
  });
  return { version: model.uint32(0), tensors, operators, inputs: sg.int32Vector(1), outputs: sg.int32Vector(2), buffers };
}

/** A tensor type code from the file; codes this reader does not name stay numbers (reported where used). */
function tensorType(code: number): TensorType {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a code from the file, checked where a tensor is read
  return code;
}
