import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDispatcher } from '../common/dispatcher.ts';
import type { Envelope } from '../common/contract/index.ts';
import { hintFor } from './hints.ts';
import { createNodeServices, type NodeServices } from './services/index.ts';

export const TOKEN_HEADER = 'x-cosmicai-token';
const MAX_BODY = 16 << 20;

/** Same policy as the Electron window: only our own scripts and styles, no framing, no plugins. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface BrowserHostOptions {
  dataDir: string;
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  services?: NodeServices;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  services: NodeServices;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant-time: compares fixed-length digests, so neither the content nor the length of the token leaks. */
export const tokenMatches = (given: string | null | undefined, token: string): boolean =>
  typeof given === 'string' && timingSafeEqual(digest(given), digest(token));

/**
 * Serves the renderer and the API on 127.0.0.1. Every API request and the event stream need the session token;
 * Host and Origin must name this server, so a web page cannot reach it through DNS rebinding or a cross-site request.
 */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const services = opts.services ?? createNodeServices({ dataDir: opts.dataDir, mode: 'browser' });
  const dispatch = createDispatcher(services.handlers, {
    hintFor,
    onInternalError: (m, err) =>
      process.stderr.write(
        `internal error in ${m}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      ),
  });
  const sse = new Set<http.ServerResponse>();
  const unlisten = services.hub.listen((channel, payload) => {
    const frame = `event: ${channel}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of sse) res.write(frame);
  });
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent)
        sendJson(res, 500, {
          ok: false,
          error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) },
        });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (!allowedHosts().has(req.headers.host ?? ''))
      return sendText(res, 421, 'Misdirected request: this server answers only to 127.0.0.1 and localhost.');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin))
      return sendText(res, 403, 'Cross-origin requests are refused.');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    if (url.pathname.startsWith('/api/')) {
      const given = (req.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get('token');
      if (!tokenMatches(given, token)) {
        return sendJson(res, 401, {
          ok: false,
          error: {
            code: 'UNAUTHORIZED',
            message: 'Missing or wrong session token.',
            hint: 'Open the full URL the app printed when it started (it ends with ?token=…).',
          },
        });
      }
      if (url.pathname === '/api/events' && req.method === 'GET') return openEvents(req, res);
      const m = /^\/api\/call\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
      if (m && req.method === 'POST') {
        if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
          return sendText(res, 415, 'The API takes application/json.');
        const body = await readBody(req);
        if (body === null)
          return sendJson(res, 413, { ok: false, error: { code: 'TOO_LARGE', message: 'The request is too large.' } });
        let input: unknown;
        try {
          input = body.length ? JSON.parse(body) : {};
        } catch {
          return sendJson(res, 400, {
            ok: false,
            error: { code: 'INVALID_INPUT', message: 'The request body is not valid JSON.' },
          });
        }
        const env: Envelope = await dispatch(m[1], input, undefined);
        return sendJson(res, 200, env);
      }
      return sendJson(res, 404, {
        ok: false,
        error: { code: 'UNKNOWN_METHOD', message: `No API endpoint ${req.method} ${url.pathname}.` },
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.');
    return serveStatic(url.pathname, res, req.method === 'HEAD');
  }

  function openEvents(req: http.IncomingMessage, res: http.ServerResponse) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    sse.add(res);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(beat);
      sse.delete(res);
    });
  }

  async function serveStatic(pathname: string, res: http.ServerResponse, head: boolean) {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, 'Bad path.');
    }
    const root = path.resolve(opts.rendererDir);
    let file = path.resolve(root, '.' + (rel === '/' ? '/index.html' : rel));
    if (file !== root && !file.startsWith(root + path.sep)) return sendText(res, 403, 'Forbidden.');
    let s = await stat(file).catch(() => null);
    // Screens live in the hash, so any other unknown path (not a file) gets the app too.
    if (!s?.isFile()) {
      if (path.extname(file)) return sendText(res, 404, 'Not found.');
      file = path.join(root, 'index.html');
      s = await stat(file).catch(() => null);
      if (!s) return sendText(res, 500, `The user interface is not built (${file} is missing).`);
    }
    const isHtml = file.endsWith('.html');
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': s.size,
      'Cache-Control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
      ...(isHtml ? { 'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY' } : {}),
    });
    if (head) res.end();
    else createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    services,
    async close() {
      unlisten();
      await services.shutdown();
      for (const res of sse) res.end();
      sse.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendText(res: http.ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text + '\n');
}

function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
