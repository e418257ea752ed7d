'use strict';
/**
 * The main job in a real browser: `npm start`'s demo (built dist/demo/start.js) on free loopback ports,
 * Debian's Chromium driven by playwright-core. Checks the dashboard updates (frames, labels, chart), the
 * editor opens each of our nodes' edit dialogs without errors, and the webcam page sends frames from
 * Chromium's fake camera (a Y4M clip made here) and gets faces back. Screenshots go to
 * test-artifacts/browser/.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { ROOT, FIXTURES } = require('../support/paths');
const { writeY4m } = require('../support/y4m');
const { editorLogin, startDemo } = require('../support/demo');

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const SHOTS = path.join(ROOT, 'test-artifacts', 'browser');
const EXPRESSION = /(angry|disgust|fear|happy|sad|surprise|neutral) \d+%/;

/** Gaps in a chart line of colour `rgb` in a screenshot: runs of 3+ columns without it between its first and last. */
async function lineGaps(png, [r, g, b]) {
  const { data, info } = await require('sharp')(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const has = [];
  for (let x = 0; x < info.width; x++) {
    has[x] = false; // the legend's swatch sits above the plot: its top 15 % is skipped
    for (let y = Math.floor(info.height * 0.15); y < info.height && !has[x]; y++) {
      const i = (y * info.width + x) * 3;
      has[x] = Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40;
    }
  }
  const first = has.indexOf(true);
  const last = has.lastIndexOf(true);
  let gaps = 0;
  let run = 0;
  for (let x = first; x <= last; x++) {
    run = has[x] ? 0 : run + 1;
    if (run === 3) gaps++;
  }
  return gaps;
}

/** In the page: how many px the content is wider than the window (0 = no sideways scroll). */
const horizontalOverflow = () => Math.max(0, document.documentElement.scrollWidth - window.innerWidth);

/** In the page: how many dashboard groups a visible toast, snackbar or dialog overlaps. */
const coveredGroups = () => {
  const overlays = [...document.querySelectorAll('.pwa-toast, .v-snackbar__wrapper, .v-overlay__content')]
    .map((e) => e.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0);
  const groups = [...document.querySelectorAll('.nrdb-ui-group')].map((e) => e.getBoundingClientRect());
  const hit = (a, b) => !(a.right <= b.left || a.left >= b.right || a.bottom <= b.top || a.top >= b.bottom);
  return groups.filter((g) => overlays.some((o) => hit(o, g))).length;
};

/** What the Webcam page sends over Dashboard 2's socket: each message's JPEG and how many faces it names. */
function recordWebcamSends(page) {
  const sent = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.includes('camera/webcam')) return;
      const jpeg = /data:image\/jpeg;base64,([A-Za-z0-9+/=]+)/.exec(payload);
      sent.push({ image: jpeg ? Buffer.from(jpeg[1], 'base64') : null, faces: (payload.match(/"keypoints"/g) ?? []).length });
    }),
  );
  return sent;
}

describe('demo in a real browser (Chromium)', function () {
  this.timeout(300000);
  let demo;
  let base;
  let browser;
  let workDir;
  // A camera's MJPEG stream (320x240 frames, unlike the 640x480 samples); answers 503 until a test turns it on.
  let mjpeg;
  let mjpegOn = false;
  let mjpegFrame;

  before(async function () {
    if (!CHROMIUM) throw new Error('Chromium is not installed (apt-get install chromium); .ci/run installs it');
    const { chromium } = require('playwright-core');
    fs.mkdirSync(SHOTS, { recursive: true });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lx-demo-'));
    mjpegFrame = await require('sharp')(path.join(FIXTURES, 'astronaut-640x480.jpg')).resize(320, 240).jpeg().toBuffer();
    mjpeg = http.createServer((req, res) => {
      if (!mjpegOn) return res.writeHead(503).end();
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=f' });
      const send = () =>
        res.write(Buffer.concat([Buffer.from(`--f\r\nContent-Type: image/jpeg\r\n\r\n`), mjpegFrame, Buffer.from('\r\n')]));
      const timer = setInterval(send, 200);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise((r) => mjpeg.listen(0, '127.0.0.1', r));
    demo = await startDemo({ MJPEG_URL: `http://127.0.0.1:${mjpeg.address().port}/video` });
    base = demo.base;
    const clip = path.join(workDir, 'face.y4m');
    await writeY4m(path.join(FIXTURES, 'astronaut-640x480.jpg'), clip);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${clip}`,
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    mjpeg?.closeAllConnections();
    mjpeg?.close();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  async function newPage() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['camera'] });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { page, errors, context };
  }

  it('the dashboard shows frames with expression labels, a moving chart and ms per frame', async () => {
    const { page, errors, context } = await newPage();
    await page.goto(`${base}/dashboard/live`);
    const img = page.locator('.lx-frame-img');
    await img.waitFor({ timeout: 90000 });
    // Count frame updates over 10 s with a MutationObserver on the image: the page's frame rate.
    await page.evaluate(() => {
      window.lxFrames = [];
      const el = document.querySelector('.lx-frame-img');
      new MutationObserver(() => window.lxFrames.push(el.getAttribute('src'))).observe(el, { attributes: true, attributeFilter: ['src'] });
    });
    await page.waitForTimeout(10000);
    const frames = await page.evaluate(() => window.lxFrames);
    console.log(`      dashboard frame rate: ${(frames.length / 10).toFixed(1)} frames/s (${frames.length} frame updates in 10 s)`);
    assert.ok(frames.length >= 3, `frames update (${frames.length} in 10 s)`);
    assert.ok(frames.every((s) => s.startsWith('data:image/jpeg;base64,')));
    // One sample frame in five has no face: wait for a frame with one, whose label must be an expression.
    await page.waitForFunction(
      (re) => new RegExp(re).test(document.querySelector('.lx-frame-labels')?.textContent || ''),
      EXPRESSION.source,
      { timeout: 30000 },
    );
    await page.waitForFunction(() => /ms per frame/.test(document.querySelector('.lx-stats')?.textContent || ''), null, { timeout: 30000 });
    const chart = page.locator('.lx-chart canvas').first();
    await chart.waitFor({ timeout: 30000 });
    const a = await chart.screenshot();
    await page.waitForTimeout(3000);
    const b = await chart.screenshot();
    assert.ok(!a.equals(b), 'the chart changes as frames arrive');
    // One sample frame in five has no face: the lines have gaps there, not straight strokes across.
    assert.ok((await lineGaps(b, [46, 204, 64])) >= 2, "the 'happy' line shows no gaps for faceless frames");
    // Nothing lies over the content: Dashboard 2's "App is offline ready" toast covered a group.
    assert.equal(await page.evaluate(coveredGroups), 0, 'an overlay covers a dashboard group');
    assert.equal(await page.evaluate(horizontalOverflow), 0, 'the page scrolls sideways at 1280 px');
    // The alert table lists the newest event first: after the sample loop's alert, a smiling face posted to
    // the demo's frame endpoint (another camera: topic camera/posted) raises a second one, which must come on top.
    await page.waitForFunction(() => document.querySelectorAll('.lx-alerts tbody tr').length >= 1, null, { timeout: 60000 });
    const smile = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${base}/lightexnet/frame`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: smile });
      assert.equal(r.status, 202);
      await new Promise((res) => setTimeout(res, 400));
    }
    await page.waitForFunction(() => /posted/.test(document.querySelector('.lx-alerts tbody tr')?.textContent || ''), null, {
      timeout: 30000,
    });
    const times = await page.$$eval('.lx-alerts tbody tr', (rows) =>
      rows.map((r) => Date.parse(`1/1/2000 ${r.cells[0].textContent.trim()}`)),
    );
    assert.ok(times.every(Number.isFinite), 'the first column holds times');
    assert.ok(
      times.every((t, i) => i === 0 || times[i - 1] >= t),
      `newest first: ${times.map((t) => new Date(t).toTimeString().slice(0, 8))}`,
    );
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png') });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("the dashboard on a phone (390 px wide): no sideways scroll, nothing covered, the frame's labels shown", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/dashboard/live`);
    await page.locator('.lx-frame-img').waitFor({ timeout: 90000 });
    await page.waitForFunction(
      (re) => new RegExp(re).test(document.querySelector('.lx-frame-labels')?.textContent || ''),
      EXPRESSION.source,
      { timeout: 30000 },
    );
    await page.locator('.lx-alerts').scrollIntoViewIfNeeded();
    assert.equal(await page.evaluate(horizontalOverflow), 0, 'the page scrolls sideways at 390 px');
    assert.equal(await page.evaluate(coveredGroups), 0, 'an overlay covers a dashboard group');
    await page.waitForFunction(() => document.querySelectorAll('.lx-alerts tbody tr').length >= 1, null, { timeout: 60000 });
    const tableCut = await page.evaluate(() => {
      const w = document.querySelector('.lx-alerts .v-table__wrapper') ?? document.querySelector('.lx-alerts');
      return w.scrollWidth - w.clientWidth;
    });
    assert.ok(tableCut <= 1, `the alert table is cut by ${tableCut} px`);
    const frameWidth = await page.locator('.lx-frame-img').evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(frameWidth >= 300 && frameWidth <= 390, `the frame fits the phone's width (${frameWidth} px)`);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-390.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("the editor opens each of our nodes' edit dialogs without errors", async () => {
    const { page, errors, context } = await newPage();
    await editorLogin(page, base, demo.login); // the demo's editor is behind the login made at its first start
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('lx-detect'), null, { timeout: 90000 });
    // The demo flow fits a laptop's editor (it was 1,800 px wide) and no two nodes overlap.
    const boxes = await page.evaluate(() => {
      const out = [];
      RED.nodes.eachNode((n) => {
        if (n.z === 'lx-demo' && n.type !== 'comment')
          out.push({ id: n.id, l: n.x - n.w / 2, r: n.x + n.w / 2, t: n.y - n.h / 2, b: n.y + n.h / 2 });
      });
      return out;
    });
    assert.ok(Math.max(...boxes.map((b) => b.r)) <= 1200, `the flow is ${Math.max(...boxes.map((b) => b.r))} px wide`);
    for (const a of boxes) {
      for (const b of boxes) {
        if (a.id < b.id) assert.ok(a.r <= b.l || b.r <= a.l || a.b <= b.t || b.b <= a.t, `${a.id} overlaps ${b.id}`);
      }
    }
    // Nodes the demo flow does not use: added to the editor's workspace (not deployed) to open their dialogs.
    await page.evaluate(() =>
      RED.view.importNodes([
        { id: 'lx-try-worker', type: 'lightexnet-worker', z: RED.workspaces.active(), x: 100, y: 600, wires: [[]] },
        { id: 'lx-try-alert', type: 'lightexnet-alert-out', z: RED.workspaces.active(), x: 300, y: 600, wires: [] },
      ]),
    );
    const dialogs = {
      'lx-try-worker': ['#node-input-broker', '#node-input-group', '#node-input-slots', '#node-input-maxAgeSeconds', '#node-input-views'],
      'lx-try-alert': ['#node-input-broker', '#node-input-topic', '#node-input-maxPending'],
      'lx-detect': ['#node-input-config', '#node-input-minScore', '#node-input-busy', '#node-input-model', '#node-input-threads'],
      'lx-classify': ['#node-input-mode', '#node-input-config', '#node-input-classifier', '#node-input-annotate'],
      'lx-filter': [
        '#node-input-minConfidence',
        '#node-input-holdFrames',
        '#node-input-cooldownSeconds',
        '#node-input-expressions-list input',
        '#node-input-reorderWindow',
      ],
    };
    for (const [id, fields] of Object.entries(dialogs)) {
      await page.evaluate((nid) => RED.editor.edit(RED.nodes.node(nid)), id);
      const tray = page.locator('.red-ui-tray');
      await tray.locator(fields[0]).waitFor({ timeout: 30000 });
      for (const f of fields) assert.ok((await tray.locator(f).count()) > 0, `${id}: ${f} is in the dialog`);
      // Valid at its defaults: no field outlined red (a broker is the one thing a user must choose).
      const invalid = await tray
        .locator('.input-error')
        .evaluateAll((els) => els.map((e) => e.id).filter((i) => i !== 'node-input-broker'));
      assert.deepEqual(invalid, [], `${id}: fields invalid at their defaults`);
      // Labels come from the locale files: none may be left empty.
      const empty = await tray
        .locator('.form-row label span[data-i18n]')
        .evaluateAll((els) => els.filter((e) => !e.textContent.trim()).length);
      assert.equal(empty, 0, `${id}: every label has text`);
      await page.screenshot({ path: path.join(SHOTS, `editor-${id}.png`) });
      await page.locator('#node-dialog-cancel').click();
      await tray.waitFor({ state: 'detached', timeout: 30000 });
    }
    const help = await page.evaluate(() =>
      RED.nodes.getNodeHelp
        ? RED.nodes.getNodeHelp('lightexnet-face-detect')
        : document.querySelector('script[data-help-name="lightexnet-face-detect"]')?.textContent,
    );
    assert.match(String(help), /BlazeFace/);
    // Node-RED serves each node's help in the editor's language (German and Japanese are translated).
    for (const [lang, text] of [
      ['de', 'Findet Gesichter in einem Bild'],
      ['ja', '画像中の顔を見つけます'],
    ]) {
      const html = await page.evaluate(
        (l) =>
          new Promise((resolve, reject) =>
            window.$.ajax({ url: 'nodes', headers: { Accept: 'text/html', 'Accept-Language': l } }).then(resolve, reject),
          ),
        lang,
      );
      assert.ok(String(html).includes(text), `the ${lang} help is served`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("an old node's own model settings move to a shared config node from its dialog (the editor migration)", async () => {
    const { page, errors, context } = await newPage();
    await editorLogin(page, base, demo.login);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('lx-detect'), null, { timeout: 90000 });
    // A classify node as flows made before the config node hold it: no `config`, settings of its own.
    await page.evaluate(() =>
      RED.view.importNodes([
        {
          id: 'lx-old',
          type: 'lightexnet-classify',
          z: RED.workspaces.active(),
          x: 100,
          y: 700,
          views: '6',
          detector: 'short',
          classifier: 'lightexnet-fer2013',
          threads: 2,
          mode: 'detect',
          wires: [[]],
        },
      ]),
    );
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('lx-old')));
    const tray = page.locator('.red-ui-tray').last();
    await tray.locator('#node-input-views').waitFor({ timeout: 30000 }); // its own rows show
    await page.locator('#lx-share-settings').click();
    // The new config dialog opens filled with the node's own settings.
    await page.locator('#node-config-input-views').waitFor({ timeout: 30000 });
    assert.equal(await page.locator('#node-config-input-views').inputValue(), '6');
    assert.equal(await page.locator('#node-config-input-detector').inputValue(), 'short');
    assert.equal(await page.locator('#node-config-input-threads').inputValue(), '2');
    await page.screenshot({ path: path.join(SHOTS, 'editor-config-from-own-settings.png') });
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-input-views').waitFor({ state: 'detached', timeout: 30000 });
    await page.locator('#node-input-views').waitFor({ state: 'hidden', timeout: 30000 }); // own rows hide
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-config').waitFor({ state: 'detached', timeout: 30000 });
    const after = await page.evaluate(() => {
      const n = RED.nodes.node('lx-old');
      const c = RED.nodes.node(n.config);
      return { type: c?.type, views: c?.views, detector: c?.detector, threads: Number(c?.threads), users: c?.users.map((u) => u.id) };
    });
    assert.deepEqual(after, { type: 'lightexnet-config', views: '6', detector: 'short', threads: 2, users: ['lx-old'] });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('the webcam page finds faces in the browser, sends only the faces, and draws the expressions that come back', async () => {
    const { page, errors, context } = await newPage();
    const sent = recordWebcamSends(page);
    await page.goto(`${base}/dashboard/webcam`);
    await page.locator('.lx-webcam-toggle').click();
    await page.waitForFunction(
      (re) => [...document.querySelectorAll('.lx-webcam-label')].some((e) => new RegExp(re).test(e.textContent)),
      EXPRESSION.source,
      { timeout: 60000 },
    );
    assert.match(await page.locator('.lx-webcam-result').textContent(), EXPRESSION);
    // What left the browser: one tile per face (the face and 0.3 of its size around it), never the frame.
    assert.ok(sent.length > 0, 'the page sent faces');
    const sheet = await require('sharp')(sent[0].image).metadata();
    assert.ok(sheet.width * sheet.height < 0.5 * 640 * 480, `a ${sheet.width}x${sheet.height} sheet is not a 640x480 frame's worth`);
    assert.equal(sent[0].faces, 1, 'one face in the clip');
    await page.screenshot({ path: path.join(SHOTS, 'webcam.png') });
    assert.equal(await page.locator('.lx-webcam-error').textContent(), '');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it("a webcam's faces and results go only to the browser that sent them, and are not kept for later visitors", async () => {
    const a = await newPage();
    const b = await newPage();
    await a.page.goto(`${base}/dashboard/webcam`);
    await b.page.goto(`${base}/dashboard/webcam`);
    await b.page.locator('.lx-webcam-toggle').waitFor({ timeout: 60000 });
    await a.page.locator('.lx-webcam-toggle').click();
    await a.page.waitForFunction(
      (re) => new RegExp(re).test(document.querySelector('.lx-webcam-result')?.textContent || ''),
      EXPRESSION.source,
      { timeout: 60000 },
    );
    await a.page.waitForTimeout(5000); // A keeps sending; B must see none of it
    assert.equal(await b.page.locator('.lx-webcam-label').count(), 0, "B sees no label of A's faces");
    assert.equal((await b.page.locator('.lx-webcam-result').textContent()).trim(), '', 'nor its result');
    await a.page.locator('.lx-webcam-toggle').click(); // stop
    await a.context.close();
    const c = await newPage();
    await c.page.goto(`${base}/dashboard/webcam`);
    await c.page.locator('.lx-webcam-toggle').waitFor({ timeout: 60000 });
    await c.page.waitForTimeout(3000);
    assert.equal((await c.page.locator('.lx-webcam-result').textContent()).trim(), '', 'a later visitor does not get the last result');
    await c.page.screenshot({ path: path.join(SHOTS, 'webcam-other-visitor.png') });
    assert.deepEqual([...b.errors, ...c.errors], []);
    await b.context.close();
    await c.context.close();
  });

  it("Chromium's fake camera test pattern (no face) is not taken for a face", async () => {
    // The pattern alone (no clip): the short-range model scores it 0.55-0.59 as a face; the face check drops it.
    const { chromium } = require('playwright-core');
    const plain = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
    });
    try {
      const ctx = await plain.newContext({ permissions: ['camera'] });
      const page = await ctx.newPage();
      await page.goto(`${base}/dashboard/webcam`); // any page of this origin: getUserMedia needs a secure context
      const urls = await page.evaluate(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
        const v = document.createElement('video');
        v.srcObject = stream;
        v.muted = true;
        await v.play();
        const out = [];
        for (let i = 0; i < 24; i++) {
          await new Promise((r) => setTimeout(r, 250));
          const c = document.createElement('canvas');
          c.width = v.videoWidth;
          c.height = v.videoHeight;
          c.getContext('2d').drawImage(v, 0, 0);
          out.push(c.toDataURL('image/jpeg', 0.8));
        }
        return out;
      });
      // The Webcam page finds no face in it either, so it sends nothing.
      const sent = recordWebcamSends(page);
      await page.locator('.lx-webcam-toggle').click();
      await page.waitForFunction(() => /no face/.test(document.querySelector('.lx-webcam-result')?.textContent || ''), null, {
        timeout: 60000,
      });
      await page.waitForTimeout(5000);
      assert.equal(sent.length, 0, 'the page sent the test pattern as a face');
      assert.equal(await page.locator('.lx-webcam-label').count(), 0);
      const { FaceDetector, decodeImage } = require('../../dist/core');
      for (const [checkLandmarks, expectNone] of [
        [true, true],
        [false, false],
      ]) {
        const d = await FaceDetector.create({ model: 'short', checkLandmarks });
        let faces = 0;
        for (const u of urls) faces += (await d.detect(await decodeImage(u))).length;
        await d.release();
        if (expectNone) assert.equal(faces, 0, 'no face in 24 frames of the test pattern');
        else assert.ok(faces > 0, 'without the check the pattern is taken for a face (so the check is what stops it)');
      }
    } finally {
      await plain.close();
    }
  });

  it('frames from an MJPEG camera stream reach the dashboard', async () => {
    const { page, errors, context } = await newPage();
    await page.goto(`${base}/dashboard/live`);
    await page.locator('.lx-frame-img').waitFor({ timeout: 60000 });
    mjpegOn = true; // the demo's relay reconnects within 2 s and posts the stream's frames to the flow
    await page.waitForFunction(() => document.querySelector('.lx-frame-img')?.naturalWidth === 320, null, { timeout: 60000 });
    await page.screenshot({ path: path.join(SHOTS, 'mjpeg.png') });
    assert.deepEqual(errors, []);
    await context.close();
  });
});
