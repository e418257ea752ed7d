'use strict';
/**
 * Writes the example flows in examples/ (Node-RED lists them under Import > Examples). Kept as code so
 * the four flows stay consistent; run `npm run build && node scripts/make-examples.js` after changing a node's options
 * (their values come from src/nodes/defaults.ts).
 * Every flow uses core nodes besides ours.
 */
const fs = require('node:fs');
const path = require('node:path');
const { NODE_DEFAULTS } = require('../dist/nodes/defaults'); // npm run build first

const SAMPLE = 'http://127.0.0.1:1880/resources/@lightexnet/node-red/samples/astronaut-640x480.jpg';
/** One of our nodes at its defaults (src/nodes/defaults.ts), placed and wired, with deliberate overrides. */
const ours =
  (type) =>
  (id, x, y, wires, extra = {}) => ({ id, type, ...NODE_DEFAULTS[type], x, y, wires: [wires], ...extra });
const detect = ours('face-detect');
const classify = ours('lightexnet-classify');
const inject = (id, x, y, wires, name = 'go', repeat = '') => ({
  id,
  type: 'inject',
  name,
  props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
  repeat,
  crontab: '',
  once: false,
  onceDelay: 0.1,
  topic: 'camera/demo',
  payload: '',
  payloadType: 'date',
  x,
  y,
  wires: [wires],
});
const fetchImage = (id, x, y, wires, url = SAMPLE, name = 'fetch frame') => ({
  id,
  type: 'http request',
  name,
  method: 'GET',
  ret: 'bin',
  paytoqs: 'ignore',
  url,
  tls: '',
  persist: false,
  proxy: '',
  insecureHTTPParser: false,
  authType: '',
  senderr: false,
  headers: [],
  x,
  y,
  wires: [wires],
});
const debug = (id, x, y, name, complete = 'payload') => ({
  id,
  type: 'debug',
  name,
  active: true,
  tosidebar: true,
  console: false,
  tostatus: false,
  complete,
  targetType: complete === 'true' ? 'full' : 'msg',
  x,
  y,
  wires: [],
});
const comment = (id, x, y, name, info) => ({ id, type: 'comment', name, info, x, y, wires: [] });
const broker = {
  id: 'ex-broker',
  type: 'mqtt-broker',
  name: 'local broker',
  broker: 'localhost',
  port: '1883',
  clientid: '',
  autoConnect: true,
  usetls: false,
  protocolVersion: '4',
  keepalive: '60',
  cleansession: true,
  autoUnsubscribe: true,
  birthTopic: '',
  closeTopic: '',
  willTopic: '',
};

const examples = {
  '01 Detect faces in an image': [
    comment(
      'c1',
      170,
      40,
      'Detect faces in a photo',
      "Click the inject button. The frame comes from the sample image this package serves;\nreplace the URL with your camera's snapshot URL, or feed any image Buffer.\nThe debug sidebar shows the faces: box, score and keypoints in image pixels.",
    ),
    inject('i1', 120, 100, ['h1']),
    fetchImage('h1', 290, 100, ['d1']),
    detect('d1', 460, 100, ['o1']),
    debug('o1', 630, 100, 'faces'),
  ],
  '02 Classify expressions': [
    comment(
      'c2',
      190,
      40,
      'Detect, then classify each face',
      'face-detect finds the faces; lightexnet-classify adds expression, confidence and\nprobabilities to each one. Tick "Annotated frame" to get a labelled JPEG in msg.annotated.',
    ),
    inject('i2', 120, 100, ['h2']),
    fetchImage('h2', 290, 100, ['d2']),
    detect('d2', 460, 100, ['k2']),
    classify('k2', 650, 100, ['o2'], { annotate: true }),
    debug('o2', 840, 100, 'expressions'),
  ],
  '03 Camera snapshot to MQTT alert': [
    comment(
      'c3',
      230,
      40,
      'Camera snapshot -> detect -> classify -> filter -> MQTT',
      'Polls a camera snapshot URL once a second (most IP cameras have one, e.g.\nhttp://CAMERA/snapshot.jpg or /cgi-bin/snapshot.cgi; put user:password in the node\'s\nauthentication settings). MJPEG streams: use node-red-contrib-multipart-stream-decoder\nto split frames; RTSP: let ffmpeg (node-red-contrib-ffmpeg) write JPEG frames.\n\nThe filter emits when "happy" holds for 3 frames, at most every 10 s, and\npublishes a small JSON event to lightexnet/alerts on the broker at localhost:1883.\n"alert out" keeps alerts while the broker is away and delivers them, in order, when it\nis back (the core mqtt out drops them). The second filter output sends "cleared" events.',
    ),
    inject('i3', 120, 100, ['h3'], 'every second', '1'),
    fetchImage('h3', 290, 100, ['d3'], SAMPLE, 'camera snapshot'),
    detect('d3', 460, 100, ['k3']),
    classify('k3', 650, 100, ['f3']),
    {
      id: 'f3',
      type: 'expression-filter',
      ...NODE_DEFAULTS['expression-filter'],
      alertTopic: 'lightexnet/alerts',
      x: 850,
      y: 100,
      wires: [['m3', 'o3'], ['o3c']],
    },
    {
      id: 'm3',
      type: 'lightexnet-alert-out',
      name: 'alert',
      broker: 'ex-broker',
      topic: '',
      qos: '1',
      retain: false,
      maxPending: 1000,
      x: 1030,
      y: 80,
      wires: [],
    },
    debug('o3', 1040, 130, 'alert'),
    debug('o3c', 1040, 170, 'cleared'),
    broker,
  ],
  '04 Home Assistant expression sensor': [
    comment(
      'c4',
      230,
      40,
      'Home Assistant: an expression sensor over MQTT discovery',
      'On deploy, and whenever Home Assistant announces homeassistant/status = online,\npublishes a retained discovery config for sensor.lightexnet_expression (device class enum).\nEvery classified frame updates its state: the largest face\'s expression, or "none".\nPoint the broker node at the broker Home Assistant uses.',
    ),
    {
      id: 'i4',
      type: 'inject',
      name: 'on deploy',
      props: [{ p: 'payload' }],
      repeat: '',
      crontab: '',
      once: true,
      onceDelay: 1,
      topic: '',
      payload: '',
      payloadType: 'date',
      x: 130,
      y: 100,
      wires: [['fn4']],
    },
    {
      id: 'hs4',
      type: 'mqtt in',
      name: 'HA status',
      topic: 'homeassistant/status',
      qos: '1',
      datatype: 'utf8',
      broker: 'ex-broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 120,
      y: 150,
      wires: [['sw4']],
    },
    {
      id: 'sw4',
      type: 'switch',
      name: 'online?',
      property: 'payload',
      propertyType: 'msg',
      rules: [{ t: 'eq', v: 'online', vt: 'str' }],
      checkall: 'true',
      repair: false,
      outputs: 1,
      x: 290,
      y: 150,
      wires: [['fn4']],
    },
    {
      id: 'fn4',
      type: 'function',
      name: 'discovery config',
      func: "msg.topic = 'homeassistant/sensor/lightexnet/expression/config';\nmsg.retain = true;\nmsg.payload = {\n  name: 'Expression',\n  unique_id: 'lightexnet_expression',\n  object_id: 'lightexnet_expression',\n  state_topic: 'lightexnet/expression/state',\n  json_attributes_topic: 'lightexnet/expression/attributes',\n  device_class: 'enum',\n  options: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral', 'none'],\n  icon: 'mdi:emoticon-outline',\n  device: { identifiers: ['lightexnet_node_red'], name: 'LightExNet (Node-RED)', manufacturer: 'LightExNet', model: 'lightexnet-fer2013' }\n};\nreturn msg;",
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 470,
      y: 120,
      wires: [['m4']],
    },
    inject('i4b', 130, 220, ['h4'], 'every 2 s', '2'),
    fetchImage('h4', 300, 220, ['k4'], SAMPLE, 'camera snapshot'),
    classify('k4', 480, 220, ['st4']),
    {
      id: 'st4',
      type: 'function',
      name: 'state + attributes',
      func: "const face = msg.payload[0];\nconst state = { topic: 'lightexnet/expression/state', payload: msg.expression || 'none', retain: true };\nconst attrs = { topic: 'lightexnet/expression/attributes', payload: { faces: msg.faceCount, confidence: msg.confidence ?? null, probabilities: face ? face.probabilities : null }, retain: true };\nreturn [[state, attrs]];",
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 680,
      y: 220,
      wires: [['m4']],
    },
    {
      id: 'm4',
      type: 'mqtt out',
      name: 'to Home Assistant',
      topic: '',
      qos: '1',
      retain: '',
      respTopic: '',
      contentType: '',
      userProps: '',
      correl: '',
      expiry: '',
      broker: 'ex-broker',
      x: 900,
      y: 170,
      wires: [],
    },
    broker,
  ],
};

const dir = path.join(__dirname, '..', 'examples');
fs.mkdirSync(dir, { recursive: true });
for (const [name, nodes] of Object.entries(examples)) {
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(nodes, null, 2) + '\n');
}
console.log(`wrote ${Object.keys(examples).length} examples to ${dir}`);
