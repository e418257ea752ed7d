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
  const font = Math.max(12, Math.round(Math.min(width, height) / 30));
  const parts = toAnnotations(faces).map((a) => {
    const [x, y, w, h] = a.bbox;
    const ty = y > font + 4 ? y - 4 : y + h + font;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${a.stroke}" stroke-width="${line}"/>` +
      `<text x="${x}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="${a.stroke}" stroke="#000" stroke-width="0.5">${escapeXml(a.label)}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** The frame as JPEG with each face's box and label drawn on it. */
export function annotateJpeg(img: DecodedImage, faces: AnnotatedFace[], quality = 80): Promise<Buffer> {
  return encodeJpeg(img, annotationSvg(img.width, img.height, faces), quality);
}
