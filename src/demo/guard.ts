/**
 * The demo's front door. Node-RED answers its admin API with `Access-Control-Allow-Origin: *` and serves
 * any Host header, so without these checks a web page from anywhere (or a DNS-rebound name) could deploy
 * a flow that runs commands. Loaded by the demo's settings.js as Express and socket.io middleware.
 *
 * - Host must name this server on loopback (127.0.0.1, localhost, [::1] with the demo's port).
 * - Origin, when a browser sends one, must be one of those too.
 * - POST /lightexnet/frame takes only images (Content-Type image/*), with a declared length under a limit
 *   (refused from the headers, before any of the body is read), at a bounded rate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

export interface GuardOptions {
  port: number;
  /** Largest frame body accepted, in bytes. */
  maxFrameBytes?: number;
  /** Sustained frames per second accepted on the frame endpoint (a token bucket of one second's worth). */
  framesPerSecond?: number;
  /** Frame uploads being read at once. */
  maxConcurrentFrames?: number;
}

export const FRAME_PATH = '/lightexnet/frame';
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

function allowedHosts(port: number): Set<string> {
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${port}`));
}

function refuse(res: ServerResponse, status: number, error: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Connection', 'close'); // do not read on: the body may be huge
  res.end(JSON.stringify({ error }));
}

/** Why a request with these headers may not reach the demo, or undefined when it may. */
export function originProblem(headers: IncomingMessage['headers'], port: number): string | undefined {
  const hosts = allowedHosts(port);
  const host = (headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return `host "${host}" is not this demo (only loopback on port ${port})`;
  const origin = headers.origin;
  if (origin === undefined) return undefined; // not a cross-site browser request (curl, the demo's relay)
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return `origin "${origin}" is not a URL`;
  }
  if (o.protocol !== 'http:' || !hosts.has(o.host.toLowerCase())) return `requests from ${origin} are not allowed`;
  return undefined;
}

/** Express middleware for the editor, the admin API and the dashboard's pages. */
export function sameOrigin(opts: GuardOptions): Middleware {
  return (req, res, next) => {
    const problem = originProblem(req.headers, opts.port);
    if (problem) refuse(res, 403, problem);
    else next();
  };
}

/** socket.io middleware for the dashboard's live connection (upgrades bypass Express). */
export function sameOriginSocket(opts: GuardOptions) {
  return (socket: { handshake: { headers: IncomingMessage['headers'] } }, next: (err?: Error) => void): void => {
    const problem = originProblem(socket.handshake.headers, opts.port);
    next(problem ? new Error(problem) : undefined);
  };
}

/** A token bucket: `rate` per second, bursts up to one second's worth. */
export class RateLimit {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = rate;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Express middleware for the http-in nodes (Node-RED's httpNodeMiddleware): origin checks everywhere,
 *  and the frame endpoint's type, size and rate limits. */
export function frameEndpoint(opts: GuardOptions): Middleware {
  const maxBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const bucket = new RateLimit(opts.framesPerSecond ?? 10);
  const maxConcurrent = opts.maxConcurrentFrames ?? 4;
  let reading = 0;
  const guard = sameOrigin(opts);
  return (req, res, next) => {
    guard(req, res, () => {
      const url = req.url ?? '';
      if (req.method !== 'POST' || url.split('?')[0] !== FRAME_PATH) return next();
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (!type.startsWith('image/'))
        return refuse(res, 415, `Content-Type must be an image type (image/jpeg, image/png, …), not "${type || 'none'}"`);
      const length = Number(req.headers['content-length']);
      if (req.headers['content-length'] === undefined || !Number.isFinite(length)) return refuse(res, 411, 'Content-Length is required');
      if (length === 0) return refuse(res, 400, 'the body is empty');
      if (length > maxBytes) return refuse(res, 413, `the frame is ${length} bytes; the limit is ${maxBytes}`);
      if (reading >= maxConcurrent || !bucket.take()) return refuse(res, 429, 'too many frames: slow down');
      reading++;
      let counted = true;
      const release = () => {
        if (counted) reading--;
        counted = false;
      };
      res.once('finish', release);
      res.once('close', release);
      next();
    });
  };
}
