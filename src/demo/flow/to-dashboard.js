const faces = msg.payload || [];
const labels = faces.map((f) => f.expression + ' ' + Math.round(f.confidence * 100) + '%');
const text = faces.length ? labels.join(', ') : 'no face';
// A browser's webcam faces: the labels go back to that browser only (Dashboard 2 routes on msg._client),
// with each face's centre in the sheet it sent, for the page to find which face is which.
if (msg.topic === 'camera/webcam') {
  const answer = { frame: msg.frame, text, faces: faces.map((f, i) => ({ cx: f.box.x + f.box.width / 2, label: labels[i] })) };
  return msg._client ? [null, null, null, { payload: answer, _client: msg._client }] : null;
}
const image = msg.annotated ? 'data:image/jpeg;base64,' + msg.annotated.toString('base64') : null;
const view = { payload: { image, text, faces: faces.length, topic: msg.topic } };
const now = Date.now();
const last = context.get('last') || now;
context.set('last', now);
const fps = context.get('fps') || 0;
const rate = now > last ? 1000 / (now - last) : 0;
context.set('fps', fps ? fps * 0.8 + rate * 0.2 : rate);
const main = faces.slice().sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
// No face: a gap in every line ('-' is ECharts' empty value; an empty array would clear the chart, and no
// points at all drew the lines straight across the faceless frames).
const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const points = main
  ? Object.entries(main.probabilities).map(([k, v]) => ({ topic: k, payload: Math.round(v * 1000) / 10 }))
  : LABELS.map((k) => ({ topic: k, payload: '-' }));
const ms = Math.round((msg.detectMs || 0) + (msg.inferenceMs || 0));
const stats = { payload: ms + ' ms per frame · ' + context.get('fps').toFixed(1) + ' frames/s · ' + faces.length + ' face(s)' };
return [view, points, stats, null];
