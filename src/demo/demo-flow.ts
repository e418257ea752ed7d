/**
 * The demo's flow: a frame source (sample frames, an IP camera snapshot URL, or the browser's webcam)
 * -> lightexnet-face-detect -> lightexnet-classify -> the dashboard (frame with labels, expression chart, ms per
 * frame, recent alerts) and lightexnet-expression-filter -> MQTT alerts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlowNode, functionNode } from './flow-nodes';
import { CLASSIFY_DEFAULTS, CONFIG_DEFAULTS, FACE_DETECT_DEFAULTS, FILTER_DEFAULTS } from '../nodes/defaults';

/** Where the demo serves the Webcam page's in-browser face detector (start.ts: webcamAssets). */
export const WEBCAM_ASSETS = '/lightexnet-webcam';

/**
 * The flow's own code, kept as files in src/demo/flow/ (Vue templates for Dashboard 2's ui-template, and
 * function-node bodies, which are not modules: a top-level `return`) rather than as strings in this file.
 */
const FLOW_PARTS = path.resolve(__dirname, '..', '..', 'src', 'demo', 'flow');
function flowPart(file: string): string {
  return fs
    .readFileSync(path.join(FLOW_PARTS, file), 'utf8')
    .trimEnd()
    .replace(/__WEBCAM_ASSETS__/g, WEBCAM_ASSETS);
}

/**
 * The Webcam page: faces are found in the browser by MediaPipe Tasks' FaceDetector (BlazeFace full range,
 * WASM); only the faces leave it, as one JPEG sheet of tiles (each face with 0.3 of its size around it, where the
 * classifier's crop lies) and their boxes in the sheet. The result comes back to this browser
 * only and is drawn over the video.
 */
const WEBCAM_TEMPLATE = flowPart('webcam.vue');

const FRAME_TEMPLATE = flowPart('frame.vue');

/** Turns a classified frame into the dashboard's messages: [frame, chart points, stats, webcam result]. */
const TO_DASHBOARD = flowPart('to-dashboard.js');

/** Cycles through the sample frames, or fetches the IP camera snapshot when CAMERA_URL is set; pauses
 *  while webcam or posted (MJPEG) frames arrive so the dashboard shows one source. */
const NEXT_FRAME = flowPart('next-frame.js');

/** The frame endpoint's reply (a small JSON, never the body) and the frame for the flow. Type, size and rate
 *  were checked before the body was read (src/demo/guard.ts). */
const ACCEPT_FRAME = flowPart('accept-frame.js');

const MARK_EXTERNAL = flowPart('mark-external.js');

/** Keeps lightexnet-face-detect's time before lightexnet-classify overwrites msg.inferenceMs. */
const KEEP_DETECT_MS = flowPart('keep-detect-ms.js');

const ALERT_ROW = flowPart('alert-row.js');

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

/** mqttProtocolVersion: what the demo's broker speaks (5: mosquitto; 4, MQTT 3.1.1: aedes or an unknown broker). */
export function demoFlow(opts: { mqttProtocolVersion?: 4 | 5 } = {}): FlowNode[] {
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
    n(functionNode('lx-next', 'next frame', NEXT_FRAME, 320, 100, [['lx-file'], ['lx-ipcam']])),
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
    n(functionNode('lx-mark', 'external frame', MARK_EXTERNAL, 580, 230, [['lx-detect']])),
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
    n(functionNode('lx-posted', 'accept frame', ACCEPT_FRAME, 390, 270, [['lx-accept'], ['lx-mark']])),
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
    n(functionNode('lx-keepms', 'keep detect ms', KEEP_DETECT_MS, 280, 440, [['lx-classify']])),
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
    n(functionNode('lx-todash', 'to dashboard', TO_DASHBOARD, 680, 400, [['lx-frame'], ['lx-chart'], ['lx-stats'], ['lx-webcam']])),
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
    n(functionNode('lx-row', 'alert row', ALERT_ROW, 870, 560, [['lx-alerts']])),
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
      protocolVersion: String(opts.mqttProtocolVersion ?? 4),
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
