/**
 * Drawing results: `msg.annotations` in the format of Node-RED's node-red-node-annotate-image, and an
 * annotated JPEG made here (sharp composites an SVG of boxes and labels onto the frame).
 */
import { DecodedImage, encodeJpeg } from './image';

export interface AnnotatedFace {
  box: { x: number; y: number; width: number; height: number };
  score?: number;
  expression?: string;
  confidence?: number;
}

export interface Annotation {
  type: 'rect';
  bbox: [number, number, number, number];
  label: string;
  stroke?: string;
}

const COLOURS: Record<string, string> = {
  happy: '#2ecc40',
  surprise: '#ffdc00',
  neutral: '#aaaaaa',
  sad: '#0074d9',
  angry: '#ff4136',
  fear: '#b10dc9',
  disgust: '#ff851b',
};

export function faceLabel(f: AnnotatedFace): string {
  if (f.expression) return `${f.expression} ${Math.round((f.confidence ?? 0) * 100)}%`;
  return `face ${Math.round((f.score ?? 0) * 100)}%`;
}

export function toAnnotations(faces: AnnotatedFace[]): Annotation[] {
  return faces.map((f) => ({
    type: 'rect',
    bbox: [Math.round(f.box.x), Math.round(f.box.y), Math.round(f.box.width), Math.round(f.box.height)],
    label: faceLabel(f),
    stroke: f.expression ? (COLOURS[f.expression] ?? '#39cccc') : '#39cccc',
  }));
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function annotationSvg(width: number, height: number, faces: AnnotatedFace[]): string {
  const line = Math.max(2, Math.round(Math.min(width, height) / 200));
  // Big enough to read on a phone or a wall tablet: about 1/22 of the frame's shorter side.
  const font = Math.max(14, Math.round(Math.min(width, height) / 22));
  const pad = Math.round(font * 0.3);
  const parts = toAnnotations(faces).map((a) => {
    const [x, y, w, h] = a.bbox;
    // The label sits on a dark band of the box's colour edge, above the box (below it at the top edge):
    // readable on any background (a coloured text alone vanished on hair or on a matching colour).
    const bandH = font + 2 * pad;
    const bandW = Math.round(a.label.length * font * 0.66 + 2 * pad); // bold sans-serif: ~0.66 em a character
    const by = y >= bandH ? y - bandH : Math.min(height - bandH, y + h);
    const bx = Math.max(0, Math.min(width - bandW, x - Math.round(line / 2)));
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${a.stroke}" stroke-width="${line}"/>` +
      `<rect x="${bx}" y="${by}" width="${bandW}" height="${bandH}" fill="#000" fill-opacity="0.7" stroke="${a.stroke}" stroke-width="${line}"/>` +
      `<text x="${bx + pad}" y="${by + pad + Math.round(font * 0.85)}" font-family="sans-serif" font-weight="bold" font-size="${font}" fill="#fff">${escapeXml(a.label)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** The frame as JPEG with each face's box and label drawn on it. */
export function annotateJpeg(img: DecodedImage, faces: AnnotatedFace[], quality = 80): Promise<Buffer> {
  return encodeJpeg(img, annotationSvg(img.width, img.height, faces), quality);
}
