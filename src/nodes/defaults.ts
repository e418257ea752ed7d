/**
 * Every node's default settings, in one place: the runtime falls back to these, the example flows and
 * the demo flow are built from them, and test/nodes/defaults.test.js checks that each editor's
 * `defaults` (nodes/*.html) holds the same values.
 */
/** lightexnet-config: the model and runtime settings the inference nodes can share. */
export const CONFIG_DEFAULTS = {
  name: '',
  classifier: 'lightexnet-fer2013',
  views: '', // the model's default for the runtime
  level: '', // tilted faces: '' = the classifier's default (levelled beyond 16 degrees), degrees, or 'off'
  detector: 'full', // room and door distances; 'short' for faces that fill the frame
  runtime: 'auto', // native where it loads, else WASM ('native' refuses the fallback)
  threads: 1,
} as const;

// `config`: a lightexnet-config node's id; '' = the node's own model settings (model/classifier, views,
// detector, threads), as every node had before the config node existed.
export const FACE_DETECT_DEFAULTS = {
  name: '',
  config: '',
  model: 'full', // room and door distances; 'short' for faces that fill the frame
  minScore: 0.5,
  minFaceSize: 0,
  checkLandmarks: true,
  maxFaces: 10,
  maxMegapixels: 50,
  annotate: false,
  crops: false, // msg.crops: a JPEG of each face
  busy: 'drop',
  queueSize: 5,
  threads: 1,
} as const;

export const CLASSIFY_DEFAULTS = {
  name: '',
  config: '',
  classifier: 'lightexnet-fer2013',
  views: '', // the model's default for the runtime
  level: '',
  mode: 'detect',
  detector: 'full',
  maxMegapixels: 50,
  maxFaces: 20,
  annotate: false,
  busy: 'drop',
  queueSize: 5,
  threads: 1,
} as const;

export const FILTER_DEFAULTS = {
  name: '',
  expressions: 'happy',
  minConfidence: 0.6,
  holdFrames: 3,
  holdSeconds: 0,
  cooldownSeconds: 10,
  releaseFrames: 3,
  changeOnly: true,
  perTopic: true,
  alertTopic: '',
  reorderWindow: 0, // results from MQTT workers: put each camera's back in frame order (0 = off)
  snapshot: 'face', // alerts carry the face as JPEG (msg.faceJpeg); 'frame', 'both' or 'none'
} as const;

/** lightexnet-worker: not in the demo flow, so kept apart from NODE_DEFAULTS (its editor is checked too). */
export const WORKER_DEFAULTS = {
  name: '',
  config: '',
  group: 'lightexnet',
  slots: 0, // 0 = one per inference worker thread, plus two
  maxAgeSeconds: 5,
  detector: 'full',
  views: '',
  level: '',
} as const;

export const NODE_DEFAULTS = {
  'lightexnet-face-detect': FACE_DETECT_DEFAULTS,
  'lightexnet-classify': CLASSIFY_DEFAULTS,
  'lightexnet-expression-filter': FILTER_DEFAULTS,
} as const;
