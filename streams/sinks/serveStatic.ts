import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  // The page URL carries the token: never send it on as a referrer.
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}

/**
 * An HTTP handler serving the files under `root` (read-only, nothing else).
 *
 * 1. Only GET and HEAD (405 otherwise); `/` serves `index.html`.
 * 2. The path is URL-decoded once; a bad escape or a NUL byte is 400. A path resolving
 *    outside `root` — by `..`, an encoded `%2e%2e`, a backslash or a symbolic link — is 403.
 * 3. Missing files and directories are 404. Known extensions get their content type;
 *    every answer has `nosniff`, `no-referrer`, `no-store` and a same-origin CSP.
 *
 * @example
 * http.createServer(serveStatic(DASHBOARD_DIR)).listen(8080, '127.0.0.1');
 */
export function serveStatic(root: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const base = path.resolve(root);
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad path');
    }
    if (pathname.includes('\0')) return send(res, 400, 'bad path');
    const rel = pathname === '/' ? 'index.html' : pathname.replace(/\\/g, '/').replace(/^\/+/, '');
    const file = path.resolve(base, rel);
    if (file !== base && !file.startsWith(base + path.sep)) return send(res, 403, 'forbidden');
    let real: string;
    let realBase: string;
    try {
      [real, realBase] = await Promise.all([fs.realpath(file), fs.realpath(base)]);
    } catch {
      return send(res, 404, 'not found');
    }
    if (!real.startsWith(realBase + path.sep)) return send(res, 403, 'forbidden');
    let body: Buffer;
    try {
      if (!(await fs.stat(real)).isFile()) return send(res, 404, 'not found');
      body = await fs.readFile(real);
    } catch {
      return send(res, 404, 'not found');
    }
    res.writeHead(200, {
      ...HEADERS,
      'Content-Type': TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
