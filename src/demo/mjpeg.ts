/**
 * Reads JPEG frames out of an MJPEG stream (HTTP multipart/x-mixed-replace, as most IP cameras and
 * webcam servers send it). Frames are cut at the JPEG start/end markers, which works whatever the
 * multipart boundary and part headers look like.
 */
import { get as httpGet, IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);

/** Incremental splitter: push chunks, get whole JPEG frames. Bounded: a frame over `maxFrameBytes` is dropped. */
export class MjpegSplitter {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = 20 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      const start = this.buf.indexOf(SOI);
      if (start < 0) {
        this.buf = this.buf.subarray(Math.max(0, this.buf.length - 1)); // keep a possible half marker
        break;
      }
      const end = this.buf.indexOf(EOI, start + 2);
      if (end < 0) {
        this.buf = this.buf.subarray(start);
        if (this.buf.length > this.maxFrameBytes) this.buf = Buffer.alloc(0);
        break;
      }
      frames.push(Buffer.from(this.buf.subarray(start, end + 2)));
      this.buf = this.buf.subarray(end + 2);
    }
    return frames;
  }
}

export interface MjpegReader {
  stop(): void;
}

/**
 * Connects to `url` and calls `onFrame` with each JPEG. Reconnects after `retryMs` when the stream ends
 * or fails (cameras reboot), reporting errors through `onError`.
 */
export function readMjpeg(url: string, onFrame: (jpeg: Buffer) => void, onError: (err: Error) => void, retryMs = 2000): MjpegReader {
  let stopped = false;
  let res: IncomingMessage | undefined;
  let timer: NodeJS.Timeout | undefined;
  const connect = () => {
    if (stopped) return;
    const splitter = new MjpegSplitter();
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, (r) => {
      res = r;
      if (r.statusCode !== 200) {
        onError(new Error(`MJPEG stream ${url}: HTTP ${r.statusCode}`));
        r.on('end', retry);
        r.resume();
        return;
      }
      r.on('data', (chunk: Buffer) => splitter.push(chunk).forEach(onFrame));
      r.on('end', retry);
      r.on('error', retry);
    });
    req.on('error', (err) => {
      onError(new Error(`MJPEG stream ${url}: ${err.message}`));
      retry();
    });
  };
  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, retryMs);
  };
  connect();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      res?.destroy();
    },
  };
}
