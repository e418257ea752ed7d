/**
 * Adds TFLite model metadata (metadata_schema.fbs) to a model that has none, for MediaPipe Tasks: its
 * FaceDetector refuses a float model without NormalizationOptions ("Input tensor has type float32: it
 * requires specifying NormalizationOptions metadata"), and @mediapipe/face_detection's BlazeFace files carry
 * none. The tasks model that has it is only on Google's CDN, which tests may not fetch.
 *
 * withNormalization(model, { mean, std }) -> a new model whose input is described as an RGB image
 * normalised (x - mean) / std. The original bytes are kept as they are, shifted behind a new root table:
 * flatbuffer offsets are relative and point forward, so a root written in front can reuse every old
 * vector and table and add a buffer and a metadata entry.
 */
import * as flatbuffers from 'flatbuffers';

// metadata_schema.fbs field ids and enums.
const PROCESS_UNIT_NORMALIZATION = 1;
const CONTENT_IMAGE = 2;
const COLOR_RGB = 1;

/** A ModelMetadata flatbuffer (file identifier "M001") describing one normalised RGB image input. */
export function normalizationMetadata({
  mean,
  std,
  inputName = 'input',
}: {
  mean: number[];
  std: number[];
  inputName?: string;
}): Uint8Array {
  const b = new flatbuffers.Builder(512);
  const floats = (xs: number[]) => {
    b.startVector(4, xs.length, 4);
    for (let i = xs.length - 1; i >= 0; i--) b.addFloat32(xs[i]);
    return b.endVector();
  };
  const offsets = (xs: number[]) => {
    b.startVector(4, xs.length, 4);
    for (let i = xs.length - 1; i >= 0; i--) b.addOffset(xs[i]);
    return b.endVector();
  };
  const meanV = floats(mean);
  const stdV = floats(std);
  b.startObject(2); // NormalizationOptions { mean, std }
  b.addFieldOffset(0, meanV, 0);
  b.addFieldOffset(1, stdV, 0);
  const norm = b.endObject();
  b.startObject(2); // ProcessUnit { options_type, options }
  b.addFieldInt8(0, PROCESS_UNIT_NORMALIZATION, 0);
  b.addFieldOffset(1, norm, 0);
  const unit = b.endObject();
  b.startObject(2); // ImageProperties { color_space, default_size }
  b.addFieldInt8(0, COLOR_RGB, 0);
  const image = b.endObject();
  b.startObject(3); // Content { content_properties_type, content_properties, range }
  b.addFieldInt8(0, CONTENT_IMAGE, 0);
  b.addFieldOffset(1, image, 0);
  const content = b.endObject();
  const name = b.createString(inputName);
  const units = offsets([unit]);
  b.startObject(7); // TensorMetadata { name, description, dimension_names, content, process_units, stats, associated_files }
  b.addFieldOffset(0, name, 0);
  b.addFieldOffset(3, content, 0);
  b.addFieldOffset(4, units, 0);
  const tensor = b.endObject();
  const inputs = offsets([tensor]);
  b.startObject(10); // SubGraphMetadata { name, description, input_tensor_metadata, ... }
  b.addFieldOffset(2, inputs, 0);
  const subgraph = b.endObject();
  const subgraphs = offsets([subgraph]);
  const modelName = b.createString('BlazeFace');
  const parser = b.createString('1.0.0');
  b.startObject(8); // ModelMetadata { name, description, version, subgraph_metadata, author, license, associated_files, min_parser_version }
  b.addFieldOffset(0, modelName, 0);
  b.addFieldOffset(3, subgraphs, 0);
  b.addFieldOffset(7, parser, 0);
  b.finish(b.endObject(), 'M001');
  return b.asUint8Array();
}

/** The old model's root Model table: field id -> absolute position of the field's value, or undefined. */
function modelFields(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = v.getUint32(0, true);
  const vtable = table - v.getInt32(table, true);
  const vtSize = v.getUint16(vtable, true);
  const fields: Partial<Record<number, number>> = {};
  for (let id = 0; 4 + 2 * id < vtSize; id++) {
    const off = v.getUint16(vtable + 4 + 2 * id, true);
    if (off) fields[id] = table + off;
  }
  const target = (pos: number): number => pos + v.getUint32(pos, true); // where a uoffset field points
  const vectorTargets = (pos: number): number[] => {
    const vec = target(pos);
    const n = v.getUint32(vec, true);
    return Array.from({ length: n }, (_, i) => target(vec + 4 + 4 * i));
  };
  return { v, fields, target, vectorTargets };
}

export function withNormalization(model: Uint8Array, { mean, std }: { mean: number[]; std: number[] }): Uint8Array {
  const old = Uint8Array.from(model);
  const { v, fields, target, vectorTargets } = modelFields(old);
  if (fields[6] !== undefined && vectorTargets(fields[6]).length) {
    throw new Error('the model already has metadata entries; this tool only adds to models without');
  }
  const meta = normalizationMetadata({ mean, std });
  if (fields[4] === undefined) throw new Error('not a TFLite model: it has no buffers');
  const oldBuffers = vectorTargets(fields[4]);
  // Model fields: 0 version (u32), 1 operator_codes, 2 subgraphs, 3 description, 4 buffers,
  // 5 metadata_buffer, 6 metadata, 7 signature_defs.
  const PREFIX_MAX = 512 + meta.length + 4 * oldBuffers.length;
  const out = new Uint8Array(PREFIX_MAX + old.length + 16);
  const w = new DataView(out.buffer);
  let at = 8; // 0: root offset, 4: file identifier
  const align = (n: number) => (at = Math.ceil(at / n) * n);
  const fixups: [number, { old?: number; prefix?: number }][] = []; // [position of a uoffset, absolute target (in the new file, resolved once the prefix size is known)]
  // Model vtable (8 fields) and table.
  const vt = at;
  w.setUint16(vt, 4 + 2 * 8, true);
  w.setUint16(vt + 2, 4 + 4 * 8, true);
  at += 4 + 2 * 8;
  align(4);
  const table = at;
  w.setInt32(table, table - vt, true);
  for (let id = 0; id < 8; id++) w.setUint16(vt + 4 + 2 * id, 4 + 4 * id, true);
  at += 4 + 4 * 8;
  w.setUint32(table + 4, fields[0] !== undefined ? v.getUint32(fields[0], true) : 3, true);
  for (const id of [1, 2, 3, 5, 7]) {
    const field = fields[id];
    if (field === undefined) w.setUint16(vt + 4 + 2 * id, 0, true);
    else fixups.push([table + 4 + 4 * id, { old: target(field) }]);
  }
  // buffers: the old ones plus the metadata's.
  align(4);
  const buffersVec = at;
  fixups.push([table + 4 + 4 * 4, { prefix: buffersVec }]);
  w.setUint32(at, oldBuffers.length + 1, true);
  at += 4;
  oldBuffers.forEach((b) => {
    fixups.push([at, { old: b }]);
    at += 4;
  });
  const newBufferSlot = at;
  at += 4;
  // metadata: one entry, TFLITE_METADATA -> the new buffer.
  const metadataVec = at;
  fixups.push([table + 4 + 4 * 6, { prefix: metadataVec }]);
  w.setUint32(at, 1, true);
  const metadataSlot = at + 4;
  at += 8;
  // Metadata table { name, buffer }.
  const mvt = at;
  w.setUint16(mvt, 8, true);
  w.setUint16(mvt + 2, 12, true);
  w.setUint16(mvt + 4, 4, true);
  w.setUint16(mvt + 6, 8, true);
  at += 8;
  const mt = at;
  w.setInt32(mt, mt - mvt, true);
  w.setUint32(mt + 8, oldBuffers.length, true);
  fixups.push([metadataSlot, { prefix: mt }]);
  at += 12;
  // Buffer table { data }.
  const bvt = at;
  w.setUint16(bvt, 6, true);
  w.setUint16(bvt + 2, 8, true);
  w.setUint16(bvt + 4, 4, true);
  at += 8;
  const bt = at;
  w.setInt32(bt, bt - bvt, true);
  fixups.push([newBufferSlot, { prefix: bt }]);
  at += 8;
  // The name string and the metadata bytes.
  const name = Buffer.from('TFLITE_METADATA');
  const str = at;
  w.setUint32(str, name.length, true);
  out.set(name, str + 4);
  at += 4 + name.length + 1;
  fixups.push([mt + 4, { prefix: str }]);
  at += (16 - ((at + 4) % 16)) % 16; // the data itself 16-byte aligned
  const data = at;
  w.setUint32(data, meta.length, true);
  out.set(meta, data + 4);
  at += 4 + meta.length;
  fixups.push([bt + 4, { prefix: data }]);
  align(16); // the old bytes keep their alignment
  const shift = at;
  if (shift > PREFIX_MAX) throw new Error('prefix overflow');
  out.set(old, shift);
  w.setUint32(0, table, true);
  out.set(Buffer.from('TFL3'), 4);
  for (const [pos, t] of fixups) {
    const abs = t.old !== undefined ? shift + t.old : (t.prefix ?? 0);
    if (abs <= pos) throw new Error('offsets must point forward');
    w.setUint32(pos, abs - pos, true);
  }
  return out.subarray(0, shift + old.length);
}
