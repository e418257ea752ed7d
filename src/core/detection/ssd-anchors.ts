/**
 * SSD anchors as MediaPipe's SsdAnchorsCalculator makes them, for the fixed-anchor-size options the
 * BlazeFace graphs use. Layers that share a stride are merged into one feature map whose cells carry
 * all of their anchors, in order (row, column, anchor).
 */
export interface SsdAnchorOptions {
  inputSize: number;
  numLayers: number;
  strides: number[];
  minScale: number;
  maxScale: number;
  anchorOffset: number;
  aspectRatios: number[];
  interpolatedScaleAspectRatio: number;
}

/** Anchor centre (normalised 0..1). With fixed_anchor_size every anchor is 1 x 1. */
export interface Anchor {
  x: number;
  y: number;
}

export function generateAnchors(o: SsdAnchorOptions): Anchor[] {
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < o.numLayers) {
    let perCell = 0;
    let last = layer;
    // Every layer with the same stride adds its anchors to the same cells.
    while (last < o.numLayers && o.strides[last] === o.strides[layer]) {
      perCell += o.aspectRatios.length + (o.interpolatedScaleAspectRatio > 0 ? 1 : 0);
      last++;
    }
    const fm = Math.ceil(o.inputSize / o.strides[layer]);
    for (let y = 0; y < fm; y++) {
      for (let x = 0; x < fm; x++) {
        for (let a = 0; a < perCell; a++) {
          anchors.push({ x: (x + o.anchorOffset) / fm, y: (y + o.anchorOffset) / fm });
        }
      }
    }
    layer = last;
  }
  return anchors;
}
