/**
 * The demo's flow: a frame source (sample frames, an IP camera snapshot URL, or the browser's webcam)
 * -> lightexnet-face-detect -> lightexnet-classify -> the dashboard (frame with labels, expression chart, ms per
 * frame, recent alerts) and lightexnet-expression-filter -> MQTT alerts.
 */
import { CLASSIFY_DEFAULTS, CONFIG_DEFAULTS, FACE_DETECT_DEFAULTS, FILTER_DEFAULTS } from '../nodes/defaults';

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** Where the demo serves the Webcam page's in-browser face detector (start.ts: webcamAssets). */
export const WEBCAM_ASSETS = '/lightexnet-webcam';

/**
 * The Webcam page: faces are found in the browser by MediaPipe Tasks' FaceDetector (BlazeFace full range,
 * WASM); only the faces leave it, as one JPEG sheet of tiles (each face with 0.3 of its size around it, where the
 * classifier's crop lies) and their boxes in the sheet. The result comes back to this browser
 * only and is drawn over the video.
 */
const WEBCAM_TEMPLATE = `<template>
  <div class="lx-webcam">
    <div style="position:relative; width:100%; max-width:640px">
      <video ref="video" autoplay playsinline muted style="width:100%; display:block; background:#222"></video>
      <div v-for="(f, i) in faces" :key="i" class="lx-webcam-box" :style="f.style">
        <span v-if="f.label" class="lx-webcam-label" style="position:absolute; left:-2px; bottom:100%; background:rgba(0,0,0,0.7); color:#fff; font-weight:bold; padding:1px 6px; white-space:nowrap">{{ f.label }}</span>
      </div>
    </div>
    <div style="margin:8px 0">
      <v-btn class="lx-webcam-toggle" color="primary" @click="toggle">{{ running ? 'Stop webcam' : 'Start webcam' }}</v-btn>
      <span class="lx-webcam-error" style="color:#c00; margin-left:8px">{{ error }}</span>
    </div>
    <div class="lx-webcam-result">{{ text }}</div>
    <div style="opacity:0.7; font-size:0.9em">Faces are found in this browser; only the faces are sent, for their expressions.</div>
  </div>
</template>
<script>
export default {
  data () { return { running: false, timer: null, stream: null, error: '', faces: [], frame: 0, text: '' } },
  watch: {
    msg (m) {
      const p = m && m.payload
      if (!p || p.frame !== this.frame) return // a late answer for an older frame
      for (const r of p.faces) {
        const f = this.faces.find((x) => r.cx >= x.tx && r.cx < x.tx + x.tw)
        if (f) f.label = r.label
      }
      this.text = p.text
    }
  },
  methods: {
    async detector () {
      if (!this.tasks) {
        const ASSETS = '${WEBCAM_ASSETS}' // (Dashboard 2 takes a script only when it starts with export default)
        // import() inside Function: the template compiler would rewrite a plain one
        const tasks = await new Function('u', 'return import(u)')(ASSETS + '/vision_bundle.mjs')
        const files = await tasks.FilesetResolver.forVisionTasks(ASSETS + '/wasm')
        this.tasks = await tasks.FaceDetector.createFromOptions(files, {
          baseOptions: { modelAssetPath: ASSETS + '/face_detection_full_range.tflite', delegate: 'CPU' },
          runningMode: 'VIDEO',
          minDetectionConfidence: 0.5
        })
      }
      return this.tasks
    },
    async toggle () {
      if (this.running) return this.stop()
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } })
      } catch (e) {
        this.error = 'camera not available: ' + e.message
        return
      }
      let detector
      try {
        detector = await this.detector()
      } catch (e) {
        this.error = 'face detector not loaded: ' + e.message
        this.stream.getTracks().forEach((t) => t.stop())
        return
      }
      this.error = ''
      this.$refs.video.srcObject = this.stream
      this.running = true
      this.timer = setInterval(() => this.tick(detector), 500)
    },
    tick (detector) {
      const v = this.$refs.video
      if (!v || !v.videoWidth) return
      const W = v.videoWidth
      const H = v.videoHeight
      const found = detector.detectForVideo(v, performance.now()).detections
      this.frame++
      let tx = 0
      const before = this.faces
      this.faces = found.map((d) => {
        const b = d.boundingBox
        // 0.3 of the face around it: the classifier's crop (1.13x the box, turned up to 6 degrees) stays inside
        const m = Math.round(Math.max(b.width, b.height) * 0.3)
        // Until this frame's answer comes, a face keeps the label of the face it was a frame ago.
        const cx = b.originX + b.width / 2
        const was = before.find((p) => Math.abs(p.b.originX + p.b.width / 2 - cx) < b.width / 2)
        const f = { b, m, tx, tw: Math.round(b.width) + 2 * m, th: Math.round(b.height) + 2 * m, score: d.categories[0].score, label: was ? was.label : '' }
        tx += f.tw
        f.style = { position: 'absolute', border: '2px solid #2ecc40', left: (100 * b.originX / W) + '%', top: (100 * b.originY / H) + '%', width: (100 * b.width / W) + '%', height: (100 * b.height / H) + '%' }
        return f
      })
      if (!this.faces.length) {
        this.text = 'no face'
        return
      }
      const sheet = this.sheet || (this.sheet = document.createElement('canvas'))
      sheet.width = tx
      sheet.height = Math.max(...this.faces.map((f) => f.th))
      const g = sheet.getContext('2d')
      g.fillStyle = '#808080'
      g.fillRect(0, 0, sheet.width, sheet.height)
      for (const f of this.faces) {
        // The tile's part inside the video; what lies outside stays grey.
        const x0 = f.b.originX - f.m
        const y0 = f.b.originY - f.m
        const sx = Math.max(0, x0)
        const sy = Math.max(0, y0)
        const sw = Math.min(W, x0 + f.tw) - sx
        const sh = Math.min(H, y0 + f.th) - sy
        if (sw > 0 && sh > 0) g.drawImage(v, sx, sy, sw, sh, f.tx + sx - x0, sy - y0, sw, sh)
      }
      this.send({
        topic: 'camera/webcam',
        frame: this.frame,
        image: sheet.toDataURL('image/jpeg', 0.85),
        payload: this.faces.map((f) => ({ box: { x: f.tx + f.m, y: f.m, width: f.b.width, height: f.b.height }, score: f.score, keypoints: [] }))
      })
    },
    stop () {
      clearInterval(this.timer)
      if (this.stream) this.stream.getTracks().forEach((t) => t.stop())
      this.running = false
      this.faces = []
    }
  },
  unmounted () { this.stop() }
}
</script>`;

const FRAME_TEMPLATE = `<template>
  <div class="lx-frame">
    <img v-if="msg && msg.payload && msg.payload.image" class="lx-frame-img" :src="msg.payload.image" style="width:100%"/>
    <div class="lx-frame-labels" style="font-size:1.1em; margin-top:4px">{{ msg && msg.payload ? msg.payload.text : 'waiting for frames…' }}</div>
  </div>
</template>`;

/** Turns a classified frame into the dashboard's messages: [frame, chart points, stats, webcam result]. */
const TO_DASHBOARD = `const faces = msg.payload || [];
const labels = faces.map((f) => f.expression + ' ' + Math.round(f.confidence * 100) + '%');
const text = faces.length ? labels.join(', ') : 'no face';
const image = msg.annotated ? 'data:image/jpeg;base64,' + msg.annotated.toString('base64') : null;
const view = { payload: { image, text, faces: faces.length, topic: msg.topic } };
// A browser's webcam faces: the labels go back to that browser only (Dashboard 2 routes on msg._client),
// with each face's centre in the sheet it sent, for the page to find which face is which.
if (msg.topic === 'camera/webcam') {
  const answer = { frame: msg.frame, text, faces: faces.map((f, i) => ({ cx: f.box.x + f.box.width / 2, label: labels[i] })) };
  return msg._client ? [null, null, null, { payload: answer, _client: msg._client }] : null;
}
const now = Date.now();
const last = context.get('last') || now;
context.set('last', now);
const fps = context.get('fps') || 0;
const rate = now > last ? 1000 / (now - last) : 0;
context.set('fps', fps ? fps * 0.8 + rate * 0.2 : rate);
const main = faces.slice().sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
// No face: no points (an empty array would clear the chart: the lines dropped to 0 on every faceless frame).
const points = main ? Object.entries(main.probabilities).map(([k, v]) => ({ topic: k, payload: Math.round(v * 1000) / 10 })) : null;
const ms = Math.round((msg.detectMs || 0) + (msg.inferenceMs || 0));
const stats = { payload: ms + ' ms per frame · ' + context.get('fps').toFixed(1) + ' frames/s · ' + faces.length + ' face(s)' };
return [view, points, stats, null];`;

/** Cycles through the sample frames, or fetches the IP camera snapshot when CAMERA_URL is set; pauses
 *  while webcam or posted (MJPEG) frames arrive so the dashboard shows one source. */
const NEXT_FRAME = `if (Date.now() - (flow.get('externalAt') || 0) < 3000) return null;
const camera = env.get('CAMERA_URL');
if (camera) return [null, { url: camera, topic: 'camera/ip' }];
const frames = global.get('demoFrames') || [];
if (!frames.length) return null;
const i = (context.get('i') || 0) % frames.length;
context.set('i', i + 1);
return [{ filename: frames[i], topic: 'camera/demo' }, null];`;

/** The frame endpoint's reply (a small JSON, never the body) and the frame for the flow. Type, size and rate
 *  were checked before the body was read (src/demo/guard.ts). */
const ACCEPT_FRAME = `const reply = { res: msg.res, statusCode: 202, payload: { accepted: true, bytes: Buffer.isBuffer(msg.payload) ? msg.payload.length : 0 } };
if (!Buffer.isBuffer(msg.payload) || msg.payload.length === 0) {
  return [{ res: msg.res, statusCode: 400, payload: { error: 'expected an image body' } }, null];
}
return [reply, { payload: msg.payload, topic: 'camera/posted' }];`;

const MARK_EXTERNAL = `flow.set('externalAt', Date.now());
return msg;`;

/** Keeps lightexnet-face-detect's time before lightexnet-classify overwrites msg.inferenceMs. */
const KEEP_DETECT_MS = `msg.detectMs = msg.inferenceMs;
return msg;`;

const ALERT_ROW = `const e = msg.payload;
// Three columns: they fit a phone's width (five were cut at 390 px).
const what = e.expression + ' ' + Math.round(e.confidence * 100) + '%' + (e.event === 'cleared' ? ' · cleared' : '');
const row = { time: new Date(e.timestamp).toLocaleTimeString(), alert: what, camera: String(e.topic).replace(/^camera\\//, '') };
// Newest first, the last 10: the table is replaced with the whole list each time.
const rows = [row, ...(context.get('rows') || [])].slice(0, 10);
context.set('rows', rows);
return { payload: rows };`;

/** A Dashboard 2 page of the demo's UI (grid layout, the demo theme). */
const uiPage = (id: string, name: string, path: string, icon: string, order: number): FlowNode => ({
  id,
  type: 'ui-page',
  name,
  ui: 'lx-ui',
  path,
  icon,
  layout: 'grid',
  theme: 'lx-theme',
  breakpoints: [
    { name: 'Default', px: 0, cols: 3 },
    { name: 'Tablet', px: 576, cols: 6 },
    { name: 'Small Desktop', px: 768, cols: 9 },
    { name: 'Desktop', px: 1024, cols: 12 },
  ],
  order,
  className: '',
  visible: 'true',
  disabled: 'false',
});

/** A titled Dashboard 2 group on one of the demo's pages. */
const uiGroup = (id: string, name: string, page: string, width: string, order: number): FlowNode => ({
  id,
  type: 'ui-group',
  name,
  page,
  width,
  height: '1',
  order,
  showTitle: true,
  className: '',
  visible: 'true',
  disabled: 'false',
  groupType: 'default',
});

export function demoFlow(): FlowNode[] {
  const z = 'lx-demo';
  const n = (node: FlowNode): FlowNode => ({ z, ...node });
  return [
    {
      id: z,
      type: 'tab',
      label: 'LightExNet demo',
      info: 'Frames -> lightexnet-face-detect -> lightexnet-classify -> dashboard and MQTT alerts. Dashboard: /dashboard',
    },
    // One set of model settings for both inference nodes (a config node: global, no tab).
    { id: 'lx-model', type: 'lightexnet-config', ...CONFIG_DEFAULTS, name: 'demo model' },
    n({
      id: 'lx-note',
      type: 'comment',
      name: "Sample frames loop; set CAMERA_URL for an IP camera snapshot URL; the dashboard's Webcam page sends browser frames",
      info: '',
      x: 430,
      y: 40,
      wires: [],
    }),
    n({
      id: 'lx-clock',
      type: 'inject',
      name: 'frame clock (2/s)',
      props: [],
      repeat: '0.5',
      crontab: '',
      once: true,
      onceDelay: '1',
      topic: '',
      x: 140,
      y: 100,
      wires: [['lx-next']],
    }),
    n({
      id: 'lx-next',
      type: 'function',
      name: 'next frame',
      func: NEXT_FRAME,
      outputs: 2,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 320,
      y: 100,
      wires: [['lx-file'], ['lx-ipcam']],
    }),
    n({
      id: 'lx-file',
      type: 'file in',
      name: 'sample frame',
      filename: 'filename',
      filenameType: 'msg',
      format: '',
      chunk: false,
      sendError: false,
      encoding: 'none',
      allProps: false,
      x: 500,
      y: 80,
      wires: [['lx-detect']],
    }),
    n({
      id: 'lx-ipcam',
      type: 'http request',
      name: 'IP camera snapshot',
      method: 'GET',
      ret: 'bin',
      paytoqs: 'ignore',
      url: '',
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 510,
      y: 130,
      wires: [['lx-detect']],
    }),
    // Site-wide CSS: Dashboard 2's "App is offline ready" toast sits bottom-right, over the alert table;
    // it moves up into the empty right end of the title bar.
    n({
      id: 'lx-style',
      type: 'ui-template',
      group: '',
      page: '',
      ui: 'lx-ui',
      name: 'dashboard style',
      order: 0,
      width: 0,
      height: 0,
      head: '',
      // Dashboard 2's "App is offline ready" toast: of no use on a wall tablet, and it covered a group
      // wherever it was moved to.
      format: '.pwa-toast { display: none !important; }',
      storeOutMessages: true,
      passthru: true,
      resendOnRefresh: true,
      templateScope: 'site:style',
      className: '',
      x: 900,
      y: 640,
      wires: [[]],
    }),
    n({
      id: 'lx-webcam',
      type: 'ui-template',
      group: 'lx-g-webcam',
      page: '',
      ui: '',
      name: 'webcam',
      order: 1,
      width: '0',
      height: '0',
      head: '',
      format: WEBCAM_TEMPLATE,
      storeOutMessages: false,
      passthru: false,
      resendOnRefresh: false,
      templateScope: 'local',
      className: '',
      x: 130,
      y: 200,
      wires: [['lx-link-out']], // faces found in the browser: straight to the classifier
    }),
    n({
      id: 'lx-mark',
      type: 'function',
      name: 'external frame',
      func: MARK_EXTERNAL,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 580,
      y: 230,
      wires: [['lx-detect']],
    }),
    // Any program can post frames: curl -X POST -H 'Content-Type: image/jpeg' --data-binary @f.jpg .../lightexnet/frame
    // (the demo launcher relays MJPEG_URL streams this way).
    n({
      id: 'lx-post',
      type: 'http in',
      name: 'POST /lightexnet/frame',
      url: '/lightexnet/frame',
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 160,
      y: 270,
      wires: [['lx-posted']],
    }),
    n({
      id: 'lx-posted',
      type: 'function',
      name: 'accept frame',
      func: ACCEPT_FRAME,
      outputs: 2,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 390,
      y: 270,
      wires: [['lx-accept'], ['lx-mark']],
    }),
    n({ id: 'lx-accept', type: 'http response', name: 'reply', statusCode: '', headers: {}, x: 570, y: 290, wires: [] }),
    n({
      id: 'lx-detect',
      type: 'lightexnet-face-detect',
      ...FACE_DETECT_DEFAULTS,
      config: 'lx-model',
      x: 720,
      y: 100,
      wires: [['lx-link-out']],
    }),
    // The flow folds into two rows: detection above, everything after it below (it fits a laptop screen).
    n({ id: 'lx-link-out', type: 'link out', name: 'faces', mode: 'link', links: ['lx-link-in'], x: 855, y: 100, wires: [] }),
    n({ id: 'lx-link-in', type: 'link in', name: 'faces', links: ['lx-link-out'], x: 115, y: 440, wires: [['lx-keepms']] }),
    n({
      id: 'lx-keepms',
      type: 'function',
      name: 'keep detect ms',
      func: KEEP_DETECT_MS,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 280,
      y: 440,
      wires: [['lx-classify']],
    }),
    n({
      id: 'lx-classify',
      type: 'lightexnet-classify',
      ...CLASSIFY_DEFAULTS,
      config: 'lx-model',
      annotate: true,
      x: 470,
      y: 440,
      wires: [['lx-todash', 'lx-filter']],
    }),
    n({
      id: 'lx-todash',
      type: 'function',
      name: 'to dashboard',
      func: TO_DASHBOARD,
      outputs: 4,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 680,
      y: 400,
      wires: [['lx-frame'], ['lx-chart'], ['lx-stats'], ['lx-webcam']],
    }),
    n({
      id: 'lx-frame',
      type: 'ui-template',
      group: 'lx-g-frame',
      page: '',
      ui: '',
      name: 'frame',
      order: 1,
      width: '0',
      height: '0',
      head: '',
      format: FRAME_TEMPLATE,
      storeOutMessages: true,
      passthru: false,
      resendOnRefresh: true,
      templateScope: 'local',
      className: '',
      x: 880,
      y: 360,
      wires: [[]],
    }),
    n({
      id: 'lx-chart',
      type: 'ui-chart',
      group: 'lx-g-mix',
      name: 'expression mix',
      label: 'Expression probabilities of the main face (%)',
      order: 1,
      chartType: 'line',
      category: 'topic',
      categoryType: 'msg',
      xAxisLabel: '',
      xAxisProperty: '',
      xAxisPropertyType: 'timestamp',
      xAxisType: 'time',
      xAxisFormat: '',
      xAxisFormatType: 'auto',
      yAxisLabel: '%',
      yAxisProperty: 'payload',
      yAxisPropertyType: 'msg',
      ymin: '0',
      ymax: '100',
      action: 'append',
      stackSeries: false,
      pointShape: 'false',
      pointRadius: 2,
      showLegend: true,
      removeOlder: 2,
      removeOlderUnit: '60',
      removeOlderPoints: '',
      colors: ['#ff4136', '#ff851b', '#b10dc9', '#2ecc40', '#0074d9', '#ffdc00', '#aaaaaa', '#111111', '#39cccc'],
      textColor: ['#666666'],
      textColorDefault: true,
      gridColor: ['#e5e5e5'],
      gridColorDefault: true,
      width: 0,
      height: 6,
      className: 'lx-chart',
      interpolation: 'linear',
      x: 890,
      y: 400,
      wires: [[]],
    }),
    n({
      id: 'lx-stats',
      type: 'ui-text',
      group: 'lx-g-frame',
      order: 2,
      width: 0,
      height: 0,
      name: 'stats',
      label: 'Speed',
      format: '{{msg.payload}}',
      layout: 'row-spread',
      style: false,
      font: '',
      fontSize: 16,
      color: '#717171',
      wrapText: false,
      className: 'lx-stats',
      value: 'payload',
      valueType: 'msg',
      x: 870,
      y: 440,
      wires: [],
    }),
    n({
      id: 'lx-filter',
      type: 'lightexnet-expression-filter',
      ...FILTER_DEFAULTS,
      name: 'happy or surprise, 3 frames',
      expressions: 'happy,surprise',
      minConfidence: 0.5,
      alertTopic: 'lightexnet/alerts',
      x: 680,
      y: 520,
      wires: [
        ['lx-mqtt', 'lx-row'],
        ['lx-mqtt', 'lx-row'],
      ],
    }),
    // Alerts survive a broker outage (the core mqtt out would drop them).
    n({
      id: 'lx-mqtt',
      type: 'lightexnet-alert-out',
      name: 'alerts',
      broker: 'lx-broker',
      topic: '',
      qos: '1',
      retain: false,
      maxPending: 1000,
      x: 880,
      y: 500,
      wires: [],
    }),
    n({
      id: 'lx-row',
      type: 'function',
      name: 'alert row',
      func: ALERT_ROW,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 870,
      y: 560,
      wires: [['lx-alerts']],
    }),
    n({
      id: 'lx-alerts',
      type: 'ui-table',
      group: 'lx-g-alerts',
      name: 'recent alerts',
      label: 'Recent alerts',
      order: 1,
      width: 0,
      height: 0,
      maxrows: 10,
      passthru: false,
      autocols: true,
      showSearch: false,
      deselect: true,
      selectionType: 'none',
      columns: [],
      mobileBreakpoint: 'sm',
      mobileBreakpointType: 'defaults',
      action: 'replace',
      className: 'lx-alerts',
      x: 1010,
      y: 560,
      wires: [],
    }),
    n({
      id: 'lx-catch',
      type: 'catch',
      name: 'errors',
      scope: ['lx-detect', 'lx-classify', 'lx-filter'],
      uncaught: false,
      x: 470,
      y: 640,
      wires: [['lx-debug']],
    }),
    n({
      id: 'lx-debug',
      type: 'debug',
      name: 'errors',
      active: true,
      tosidebar: true,
      console: true,
      tostatus: false,
      complete: 'error.message',
      targetType: 'msg',
      x: 640,
      y: 640,
      wires: [],
    }),
    // MQTT: the embedded broker unless MQTT_URL points at another (e.g. Home Assistant's).
    {
      id: 'lx-broker',
      type: 'mqtt-broker',
      name: 'demo broker',
      broker: '${LIGHTEXNET_MQTT_HOST}',
      port: '${LIGHTEXNET_MQTT_PORT}',
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
      userProps: '',
      sessionExpiry: '',
    },
    // Dashboard 2 layout.
    {
      id: 'lx-ui',
      type: 'ui-base',
      name: 'LightExNet',
      path: '/dashboard',
      appIcon: '',
      includeClientData: true,
      acceptsClientConfig: ['ui-notification', 'ui-control', 'ui-template'],
      showPathInSidebar: false,
      headerContent: 'page',
      navigationStyle: 'default',
      titleBarStyle: 'default',
      showReconnectNotification: true,
      notificationDisplayTime: 1,
      showDisconnectNotification: true,
    },
    {
      id: 'lx-theme',
      type: 'ui-theme',
      name: 'LightExNet',
      colors: { surface: '#2f4f4f', primary: '#0d74ce', bgPage: '#f9f9fb', groupBg: '#ffffff', groupOutline: '#d9d9e0' },
      sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '4px', widgetGap: '12px' },
    },
    uiPage('lx-p-live', 'Live', '/live', 'emoticon-outline', 1),
    uiPage('lx-p-webcam', 'Webcam', '/webcam', 'webcam', 2),
    uiGroup('lx-g-frame', 'Camera', 'lx-p-live', '6', 1),
    uiGroup('lx-g-mix', 'Expression mix', 'lx-p-live', '6', 2),
    uiGroup('lx-g-alerts', 'Alerts (also on MQTT lightexnet/alerts)', 'lx-p-live', '12', 3),
    uiGroup('lx-g-webcam', 'Your webcam', 'lx-p-webcam', '6', 1),
  ];
}
