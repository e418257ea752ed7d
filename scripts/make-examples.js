'use strict';
/**
 * Writes the example flows in examples/ (Node-RED lists them under Import > Examples). Kept as code so
 * the flows stay consistent; run `npm run build && node scripts/make-examples.js` after changing a node's options
 * (their values come from src/nodes/defaults.ts).
 * Every flow uses core nodes besides ours, imports as named tabs, and runs on any Node-RED: the sample frame
 * travels inside the flow (no URL with a host or port), and the MQTT flows share one broker node in one file.
 */
const fs = require('node:fs');
const path = require('node:path');
const { NODE_DEFAULTS, WORKER_DEFAULTS } = require('../dist/nodes/defaults'); // npm run build first
const { functionNode } = require('../dist/demo/flow-nodes');

const sharp = require('sharp');

/** The sample photo, 480 px wide, as base64: small enough to sit in an inject node (~24 KB). */
async function sampleFrameBase64() {
  const file = path.join(__dirname, '..', 'resources', 'samples', 'astronaut-640x480.jpg');
  const jpeg = await sharp(file).resize(480).jpeg({ quality: 80, mozjpeg: true }).toBuffer();
  return jpeg.toString('base64');
}
/** One of our nodes at its defaults (src/nodes/defaults.ts), placed and wired, with deliberate overrides. */
const ours =
  (type) =>
  (id, x, y, wires, extra = {}) => ({ id, type, ...NODE_DEFAULTS[type], x, y, wires: [wires], ...extra });
const detect = ours('lightexnet-face-detect');
const classify = ours('lightexnet-classify');
/** An inject node that sends the sample frame (base64 text; `decode` below makes it a Buffer). */
const injectSample =
  (sample) =>
  (id, x, y, wires, name = 'sample frame', repeat = '') => ({
    id,
    type: 'inject',
    name,
    props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
    repeat,
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: 'camera/demo',
    payload: sample,
    payloadType: 'str',
    x,
    y,
    wires: [wires],
  });
/** A core function node with one output. */
const fn = (id, name, func, x, y, wires) => functionNode(id, name, func, x, y, [wires]);
/** Turns the inject's base64 text into the JPEG Buffer a camera would send. */
const decode = (id, x, y, wires) => fn(id, 'base64 -> JPEG', "msg.payload = Buffer.from(msg.payload, 'base64');\nreturn msg;", x, y, wires);
/** A core mqtt out on the examples' broker; the topic comes from msg.topic. */
const mqttOut = (id, name, x, y) => ({
  id,
  type: 'mqtt out',
  name,
  topic: '',
  qos: '1',
  retain: '',
  respTopic: '',
  contentType: '',
  userProps: '',
  correl: '',
  expiry: '',
  broker: 'ex-broker',
  x,
  y,
  wires: [],
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
  protocolVersion: '5', // MQTT 5: user properties and shared subscriptions (the workers tab)
  keepalive: '60',
  cleansession: true,
  autoUnsubscribe: true,
  birthTopic: '',
  closeTopic: '',
  willTopic: '',
};

/** A named flow tab holding `nodes` (so an import lands as a tab with this label, not "Flow 1"). */
const tab = (id, label, nodes) => [{ id, type: 'tab', label, disabled: false, info: '' }, ...nodes.map((n) => ({ ...n, z: id }))];

const CAMERA_HINT =
  'The first two nodes send a sample photo carried in the flow. For a camera, put an http request node\n(GET, return "a binary buffer") to its snapshot URL in their place (most IP cameras have one, e.g.\nhttp://CAMERA/snapshot.jpg or /cgi-bin/snapshot.cgi; user:password in its authentication settings),\nor any node that outputs a JPEG/PNG Buffer. MJPEG streams: node-red-contrib-multipart-stream-decoder\nsplits frames; RTSP: let ffmpeg (node-red-contrib-ffmpeg) write JPEG frames.';

const examples = (sample) => {
  const inject = injectSample(sample);
  return {
    '01 Detect faces in an image': tab('ex1-tab', 'LightExNet: detect faces', [
      comment(
        'c1',
        170,
        40,
        'Detect faces in a photo',
        'Click the inject button. The debug sidebar shows the faces: box, score and keypoints in image pixels.\n\n' + CAMERA_HINT,
      ),
      inject('i1', 130, 100, ['h1']),
      decode('h1', 310, 100, ['d1']),
      detect('d1', 490, 100, ['o1']),
      debug('o1', 670, 100, 'faces'),
    ]),
    '02 Classify expressions': tab('ex2-tab', 'LightExNet: classify expressions', [
      comment(
        'c2',
        190,
        40,
        'Detect, then classify each face',
        'Click the inject button. face detect finds the faces; lightexnet classify adds expression, confidence\nand probabilities to each one. Tick "Annotated frame" to get a labelled JPEG in msg.annotated.\n\n' +
          CAMERA_HINT,
      ),
      inject('i2', 130, 100, ['h2']),
      decode('h2', 310, 100, ['d2']),
      detect('d2', 490, 100, ['k2']),
      classify('k2', 680, 100, ['o2'], { annotate: true }),
      debug('o2', 870, 100, 'expressions'),
    ]),
    // Both MQTT flows in one file, sharing one broker node: importing them one by one would either
    // duplicate the broker or ask to replace it.
    '03 MQTT alert, Home Assistant sensor, inference workers': [
      ...tab('ex3-tab', 'LightExNet: MQTT alert', [
        comment(
          'c3',
          230,
          40,
          'Frames -> detect -> classify -> filter -> MQTT',
          'Once a second a frame is classified. The filter emits when "happy" holds for 3 frames, at most every\n10 s, and publishes a small JSON event to lightexnet/alerts on the broker at localhost:1883 (edit\nthe "local broker" node for yours). "alert out" keeps alerts while the broker is away and delivers\nthem, in order, when it is back (the core mqtt out drops them). The second filter output sends\n"cleared" events.\n\n' +
            CAMERA_HINT,
        ),
        inject('i3', 130, 100, ['h3'], 'every second', '1'),
        decode('h3', 310, 100, ['d3']),
        detect('d3', 460, 100, ['k3']),
        classify('k3', 650, 100, ['f3']),
        {
          id: 'f3',
          type: 'lightexnet-expression-filter',
          ...NODE_DEFAULTS['lightexnet-expression-filter'],
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
      ]),
      ...tab('ex4-tab', 'LightExNet: Home Assistant sensor', [
        comment(
          'c4',
          230,
          40,
          'Home Assistant: an expression sensor over MQTT discovery',
          'On deploy, and whenever Home Assistant announces homeassistant/status = online,\npublishes a retained discovery config for sensor.lightexnet_expression (device class enum).\nEvery classified frame updates its state: the largest face\'s expression, or "none".\nPoint the "local broker" node at the broker Home Assistant uses.\n\n' +
            CAMERA_HINT,
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
        fn(
          'fn4',
          'discovery config',
          "msg.topic = 'homeassistant/sensor/lightexnet/expression/config';\nmsg.retain = true;\nmsg.payload = {\n  name: 'Expression',\n  unique_id: 'lightexnet_expression',\n  object_id: 'lightexnet_expression',\n  state_topic: 'lightexnet/expression/state',\n  json_attributes_topic: 'lightexnet/expression/attributes',\n  device_class: 'enum',\n  options: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral', 'none'],\n  icon: 'mdi:emoticon-outline',\n  device: { identifiers: ['lightexnet_node_red'], name: 'LightExNet (Node-RED)', manufacturer: 'LightExNet', model: 'lightexnet-fer2013' }\n};\nreturn msg;",
          470,
          120,
          ['m4'],
        ),
        inject('i4b', 130, 220, ['h4'], 'every 2 s', '2'),
        decode('h4', 300, 220, ['k4']),
        classify('k4', 480, 220, ['st4']),
        fn(
          'st4',
          'state + attributes',
          "const face = msg.payload[0];\nconst state = { topic: 'lightexnet/expression/state', payload: msg.expression || 'none', retain: true };\nconst attrs = { topic: 'lightexnet/expression/attributes', payload: { faces: msg.faceCount, confidence: msg.confidence ?? null, probabilities: face ? face.probabilities : null }, retain: true };\nreturn [[state, attrs]];",
          680,
          220,
          ['m4'],
        ),
        mqttOut('m4', 'to Home Assistant', 900, 170),
      ]),
      ...tab('ex5-tab', 'LightExNet: inference workers', [
        comment(
          'c5',
          230,
          40,
          'Cameras -> MQTT -> any number of workers -> results -> filter',
          'More cameras than one gateway can infer: cameras publish frames to lightexnet/frames/<camera>\n(MQTT 5 user properties seq and capturedAt); every gateway with a "worker" node in the same group\nshares them (the broker gives each frame to one worker) and publishes results to\nlightexnet/results/<camera>. Alerts are made where they are wanted, from the results, with the\nfilter\'s Reorder on (workers finish frames out of order). A server can join with\n`lightexnet worker --broker mqtt://HOST:1883`. This tab runs all three parts; on a real setup the\ncamera part runs near the cameras, the worker part on each worker gateway.\n\n' +
            CAMERA_HINT,
        ),
        inject('i5', 130, 100, ['h5'], 'every second', '1'),
        decode('h5', 310, 100, ['p5']),
        fn(
          'p5',
          'frame header',
          "// Camera id (one MQTT topic level), a sequence number per camera, and the capture time.\nconst camera = 'demo';\nconst seq = context.get('seq') ?? 0;\ncontext.set('seq', seq + 1);\nmsg.topic = 'lightexnet/frames/' + camera;\nmsg.userProperties = { seq: String(seq), capturedAt: String(Date.now()) };\nreturn msg;",
          490,
          100,
          ['m5'],
        ),
        mqttOut('m5', 'frames', 670, 100),
        { id: 'w5', type: 'lightexnet-worker', ...WORKER_DEFAULTS, broker: 'ex-broker', x: 130, y: 180, wires: [['o5w']] },
        debug('o5w', 330, 180, 'worker results'),
        {
          id: 'r5',
          type: 'mqtt in',
          name: 'results',
          topic: 'lightexnet/results/#',
          qos: '1',
          datatype: 'json',
          broker: 'ex-broker',
          nl: false,
          rap: true,
          rh: 0,
          inputs: 0,
          x: 130,
          y: 260,
          wires: [['f5']],
        },
        {
          id: 'f5',
          type: 'lightexnet-expression-filter',
          ...NODE_DEFAULTS['lightexnet-expression-filter'],
          reorderWindow: 16,
          x: 360,
          y: 260,
          wires: [['o5'], []],
        },
        debug('o5', 560, 260, 'alert from workers'),
      ]),
      broker,
    ],
  };
};

async function main() {
  const dir = path.join(__dirname, '..', 'examples');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const all = examples(await sampleFrameBase64());
  for (const [name, nodes] of Object.entries(all)) {
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(nodes, null, 2) + '\n');
  }
  console.log(`wrote ${Object.keys(all).length} examples to ${dir}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
