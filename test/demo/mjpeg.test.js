'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { MjpegSplitter, readMjpeg } = require('../../dist/demo/mjpeg');
const { FIXTURES } = require('../support/paths');

const jpeg = fs.readFileSync(path.join(FIXTURES, 'astronaut-640x480.jpg'));
const part = (j) =>
  Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`), j, Buffer.from('\r\n')]);

describe('MJPEG', () => {
  it('splits a multipart stream into whole JPEG frames, whatever the chunking', () => {
    const stream = Buffer.concat([part(jpeg), part(jpeg), part(jpeg)]);
    for (const size of [13, 4096, stream.length]) {
      const s = new MjpegSplitter();
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...s.push(stream.subarray(i, i + size)));
      assert.equal(frames.length, 3, `chunk size ${size}`);
      assert.ok(frames.every((f) => f.equals(jpeg)));
    }
  });

  it('drops a frame that grows past the limit instead of buffering without bound', () => {
    const s = new MjpegSplitter(1000);
    assert.deepEqual(s.push(Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(5000)])), []);
    assert.equal(s.push(part(jpeg)).length, 1, 'the next whole frame still comes through');
  });

  it('reads frames from a real HTTP MJPEG server and reconnects when the stream ends', async () => {
    let connections = 0;
    const server = http.createServer((req, res) => {
      connections++;
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=frame' });
      res.write(part(jpeg));
      res.end(part(jpeg)); // the camera "reboots" after two frames
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const frames = [];
    const reader = readMjpeg(
      `http://127.0.0.1:${server.address().port}/stream`,
      (f) => frames.push(f),
      () => {},
      50,
    );
    const t0 = Date.now();
    while (frames.length < 4 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
    reader.stop();
    server.close();
    assert.ok(frames.length >= 4 && connections >= 2, `${frames.length} frames over ${connections} connections`);
    assert.ok(frames[0].equals(jpeg));
  });

  it('reports a stream it cannot reach', async () => {
    const errors = [];
    const reader = readMjpeg(
      'http://127.0.0.1:1/none',
      () => {},
      (e) => errors.push(e.message),
      50,
    );
    const t0 = Date.now();
    while (!errors.length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    reader.stop();
    assert.match(errors[0], /MJPEG stream http:\/\/127.0.0.1:1\/none: .*ECONNREFUSED/);
  });
});
