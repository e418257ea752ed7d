/**
 * `npm start`: a demo Node-RED on 127.0.0.1 with this package's nodes from the working tree, Dashboard 2,
 * a ready flow, sample frames and an MQTT broker unless MQTT_URL names one: Debian's mosquitto where it is
 * installed (MQTT 5, so example 03's shared subscriptions work with it), else aedes in this process (MQTT 3.1.1;
 * LIGHTEXNET_DEMO_BROKER=aedes picks it).
 *
 * Environment: PORT (Node-RED, default 1880), MQTT_URL (e.g. mqtt://homeassistant.local:1883),
 * MQTT_PORT (embedded broker, default 1883), CAMERA_URL (an IP camera snapshot URL to use instead of the
 * sample frames), MJPEG_URL (an MJPEG stream; its frames are posted to the flow at 2 per second),
 * LIGHTEXNET_DEMO_DIR (Node-RED user directory, default .node-red-demo).
 *
 * Safe by default: the editor and admin API need the login made at first start (printed once, kept in
 * demo-login.json in the user directory, readable by its owner only); requests must come from this server's
 * own loopback origin (guard.ts); the embedded broker listens on loopback and takes only the demo's own
 * credentials; onnxruntime's telemetry is off.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { readMjpeg } from './mjpeg';
import { demoFlow, WEBCAM_ASSETS } from './demo-flow';
import { withNormalization } from './tflite-metadata';

const ROOT = path.resolve(__dirname, '..', '..');

/** The demo's secrets: the editor login and the embedded broker's credentials. */
interface DemoLogin {
  editor: { username: string; password: string };
  mqtt: { username: string; password: string };
}

/** Reads the login kept in the user directory, or makes one (the only time the password is printed). */
function demoLogin(userDir: string): { login: DemoLogin; file: string; created: boolean } {
  const file = path.join(userDir, 'demo-login.json');
  try {
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DemoLogin>;
    const { editor, mqtt } = kept;
    if (editor?.username && editor.password && mqtt?.username && mqtt.password)
      return { login: { ...kept, editor, mqtt }, file, created: false };
  } catch {
    // none yet, or unreadable: make a new one
  }
  const secret = () => randomBytes(18).toString('base64url');
  const login: DemoLogin = { editor: { username: 'admin', password: secret() }, mqtt: { username: 'lightexnet-demo', password: secret() } };
  fs.writeFileSync(file, JSON.stringify(login, null, 2), { mode: 0o600 });
  return { login, file, created: true };
}

/**
 * What the Webcam page runs in the browser: MediaPipe Tasks' FaceDetector (its bundle and WASM, from the
 * npm package) and BlazeFace full range from @mediapipe/face_detection, with the input metadata Tasks
 * requires added (tflite-metadata.ts). Served by this Node-RED: the browser fetches nothing from outside.
 */
function webcamAssets(userDir: string): string {
  const dir = path.join(userDir, 'webcam-assets');
  const tasks = path.join(ROOT, 'node_modules', '@mediapipe', 'tasks-vision');
  fs.mkdirSync(path.join(dir, 'wasm'), { recursive: true });
  for (const f of ['vision_bundle.mjs', 'wasm/vision_wasm_internal.js', 'wasm/vision_wasm_internal.wasm']) {
    fs.copyFileSync(path.join(tasks, f), path.join(dir, f));
  }
  const tflite = fs.readFileSync(path.join(ROOT, 'node_modules', '@mediapipe', 'face_detection', 'face_detection_full_range.tflite'));
  fs.writeFileSync(path.join(dir, 'face_detection_full_range.tflite'), withNormalization(tflite, { mean: [127.5], std: [127.5] }));
  return dir;
}

/** settings.js: plain settings plus the guards (functions, so not JSON) and the editor login's hash. */
function settingsSource(port: number, frames: string[], login: DemoLogin, assets: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed (it may not load at all)
  const bcrypt = require('bcryptjs') as { hashSync(s: string, rounds: number): string };
  const plain = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: false,
    functionGlobalContext: { demoFrames: frames },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false }, // no update checks: the demo needs no network
    logging: { console: { level: 'info' } },
    adminAuth: {
      type: 'credentials',
      users: [{ username: login.editor.username, password: bcrypt.hashSync(login.editor.password, 10), permissions: '*' }],
    },
  };
  return `const guard = require(${JSON.stringify(path.join(__dirname, 'guard.js'))});
const opts = { port: ${port} };
module.exports = {
  ...${JSON.stringify(plain, null, 2)},
  httpAdminMiddleware: guard.sameOrigin(opts),
  httpNodeMiddleware: guard.frameEndpoint(opts),
  httpStatic: [{ path: ${JSON.stringify(assets)}, root: ${JSON.stringify(WEBCAM_ASSETS + '/')}, middleware: guard.sameOrigin(opts) }],
  dashboard: { middleware: guard.sameOrigin(opts), ioMiddleware: guard.sameOriginSocket(opts) },
};
`;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  if (await portFree(preferred)) return preferred;
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Sample frames made from the public-domain fixtures: faces at several sizes and positions, one frame
 *  without a frontal face. */
async function makeFrames(dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const astronaut = path.join(ROOT, 'test', 'fixtures', 'astronaut.png');
  const camera = path.join(ROOT, 'test', 'fixtures', 'camera.png');
  const out = (name: string) => path.join(dir, name);
  const jobs: [string, () => ReturnType<typeof sharp>][] = [
    ['01-close.jpg', () => sharp(astronaut).extract({ left: 66, top: 10, width: 320, height: 240 }).resize(640, 480)],
    ['02-mirrored.jpg', () => sharp(astronaut).extract({ left: 66, top: 10, width: 320, height: 240 }).resize(640, 480).flop()],
    ['03-closer.jpg', () => sharp(astronaut).extract({ left: 126, top: 30, width: 200, height: 150 }).resize(640, 480)],
    [
      '04-dim.jpg',
      () => sharp(astronaut).extract({ left: 40, top: 0, width: 400, height: 300 }).resize(640, 480).modulate({ brightness: 0.6 }),
    ],
    ['05-no-frontal-face.jpg', () => sharp(camera).resize(640, 480, { fit: 'cover' })],
  ];
  const files: string[] = [];
  for (const [name, make] of jobs) {
    if (!fs.existsSync(out(name))) await make().jpeg({ quality: 85 }).toFile(out(name));
    files.push(out(name));
  }
  return files;
}

/** Links this working tree into the user directory so Node-RED loads it as the installed module. */
function linkPackage(userDir: string): void {
  const scope = path.join(userDir, 'node_modules', '@lightexnet');
  fs.mkdirSync(scope, { recursive: true });
  const link = path.join(scope, 'node-red');
  try {
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    // nothing there
  }
  fs.symlinkSync(ROOT, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify(
      {
        name: 'lightexnet-demo',
        private: true,
        dependencies: { '@lightexnet/node-red': `file:${ROOT}` },
      },
      null,
      2,
    ),
  );
}

interface AedesBroker {
  handle: (s: net.Socket) => void;
  close: (cb?: () => void) => void;
  authenticate: (
    client: unknown,
    username: string | undefined,
    password: Buffer | undefined,
    cb: (err: Error | null, ok: boolean) => void,
  ) => void;
}

interface DemoBroker {
  host: string;
  port: number;
  close: () => void;
  embedded: boolean;
  /** The MQTT protocol version the demo's broker node speaks: 5 with mosquitto, 4 (3.1.1) otherwise. */
  protocolVersion: 4 | 5;
}

/** An executable on PATH or in the sbin folders Debian puts mosquitto in. */
function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  const runnable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  return dirs.map((d) => path.join(d, name)).find(runnable);
}

/** mosquitto on loopback with a password file holding only the demo's login (no anonymous clients). */
async function startMosquitto(bin: string, passwd: string, creds: DemoLogin['mqtt'], dir: string): Promise<DemoBroker> {
  const port = await freePort(Number(process.env.MQTT_PORT ?? 1883));
  const conf = path.join(dir, 'mosquitto.conf');
  const pwfile = path.join(dir, 'mosquitto.passwd');
  fs.rmSync(pwfile, { force: true });
  execFileSync(passwd, ['-c', '-b', pwfile, creds.username, creds.password], { stdio: 'ignore' });
  fs.chmodSync(pwfile, 0o600);
  // `user`: mosquitto started as root would switch to the mosquitto user, which cannot read the file.
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${pwfile}\npersistence false\nuser ${os.userInfo().username}\n`,
    { mode: 0o600 },
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${stderr.trim()}`);
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() - t0 > 10000) {
      child.kill('SIGTERM');
      throw new Error(`mosquitto did not start listening on ${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: '127.0.0.1', port, close: () => child.kill('SIGTERM'), embedded: true, protocolVersion: 5 };
}

async function startBroker(creds: DemoLogin['mqtt'], dir: string): Promise<DemoBroker> {
  if (process.env.MQTT_URL) {
    const u = new URL(process.env.MQTT_URL);
    return { host: u.hostname, port: Number(u.port || 1883), close: () => undefined, embedded: false, protocolVersion: 4 };
  }
  const bin = findExecutable('mosquitto');
  const passwd = findExecutable('mosquitto_passwd');
  if (bin && passwd && process.env.LIGHTEXNET_DEMO_BROKER !== 'aedes') return startMosquitto(bin, passwd, creds, dir);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed (it may not load at all)
  const { Aedes } = require('aedes') as { Aedes: { createBroker(): Promise<AedesBroker> } };
  const broker = await Aedes.createBroker();
  // Loopback only, and only with the demo's credentials (other local users and programs get no alerts).
  broker.authenticate = (_client, username, password, cb) =>
    cb(null, username === creds.username && password !== undefined && password.toString() === creds.password);
  const port = await freePort(Number(process.env.MQTT_PORT ?? 1883));
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port,
    close: () => {
      server.close();
      broker.close();
    },
    embedded: true,
    protocolVersion: 4,
  };
}

/** Posts the newest frame of an MJPEG stream to the flow twice a second (older frames are skipped). */
function relayMjpeg(url: string, endpoint: string): { stop(): void } {
  let latest: Buffer | undefined;
  let sending = false;
  const reader = readMjpeg(
    url,
    (jpeg) => (latest = jpeg),
    (err) => console.error(`demo: ${err.message}`),
  );
  const timer = setInterval(() => {
    if (!latest || sending) return;
    const body = latest;
    latest = undefined;
    sending = true;
    fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body })
      .catch(() => undefined) // Node-RED still starting
      .finally(() => (sending = false));
  }, 500);
  return {
    stop: () => {
      clearInterval(timer);
      reader.stop();
    },
  };
}

async function main(): Promise<void> {
  const userDir = path.resolve(process.env.LIGHTEXNET_DEMO_DIR ?? path.join(ROOT, '.node-red-demo'));
  fs.mkdirSync(userDir, { recursive: true });
  linkPackage(userDir);
  const frames = await makeFrames(path.join(userDir, 'frames'));
  const { login, file: loginFile, created } = demoLogin(userDir);
  const broker = await startBroker(login.mqtt, userDir);
  const port = Number(process.env.PORT ?? 1880);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(demoFlow({ mqttProtocolVersion: broker.protocolVersion }), null, 2));
  // With credentialSecret false Node-RED keeps credentials as plain JSON beside the flow (the directory is
  // the user's own); the embedded broker's login goes to the demo's broker node here.
  const creds = broker.embedded ? { 'lx-broker': { user: login.mqtt.username, password: login.mqtt.password } } : {};
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(creds, null, 2), { mode: 0o600 });
  const settings = path.join(userDir, 'settings.js');
  fs.writeFileSync(settings, settingsSource(port, frames, login, webcamAssets(userDir)));

  const red = require.resolve('node-red/red.js');
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--settings', settings], {
    stdio: 'inherit',
    env: { ...process.env, ORT_DISABLE_TELEMETRY: '1', LIGHTEXNET_MQTT_HOST: broker.host, LIGHTEXNET_MQTT_PORT: String(broker.port) },
  });
  console.log(`\nLightExNet demo
  editor     http://127.0.0.1:${port}/   ${created ? `login: ${login.editor.username} / ${login.editor.password}   (shown once; kept in ${loginFile})` : `login: ${login.editor.username}, password in ${loginFile}`}
  dashboard  http://127.0.0.1:${port}/dashboard   (Webcam page: http://127.0.0.1:${port}/dashboard/webcam)
  MQTT       ${broker.embedded ? `${broker.protocolVersion === 5 ? 'mosquitto (MQTT 5)' : 'embedded broker (MQTT 3.1.1)'} at mqtt://${broker.host}:${broker.port} (user ${login.mqtt.username}, password in ${loginFile})` : `broker at mqtt://${broker.host}:${broker.port}`}, alerts on lightexnet/alerts
  frames     ${process.env.MJPEG_URL ? `MJPEG stream ${process.env.MJPEG_URL}` : process.env.CAMERA_URL ? `IP camera ${process.env.CAMERA_URL}` : `${frames.length} sample frames in ${path.dirname(frames[0])}`}
`);
  const relay = process.env.MJPEG_URL ? relayMjpeg(process.env.MJPEG_URL, `http://127.0.0.1:${port}/lightexnet/frame`) : undefined;
  const stop = () => {
    relay?.stop();
    child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code, signal) => {
    broker.close();
    // Killed by a signal: the shell's convention (128 + its number), not a success.
    process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
  });
}

main().catch((err: unknown) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
