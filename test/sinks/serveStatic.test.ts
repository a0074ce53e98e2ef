import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../streams/sinks/serveStatic';

let dir: string;
let server: Server;
let port: number;

/** A raw request (fetch would normalise `..` away before sending). */
function get(path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rxgrad-static-'));
  mkdirSync(join(dir, 'site', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'site', 'index.html'), '<h1>hi</h1>');
  writeFileSync(join(dir, 'site', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'site', 'sub', 'a.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'site', 'link.txt'));
  server = createServer(serveStatic(join(dir, 'site')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('serveStatic', () => {
  it('serves index.html at / and files with their content type and safety headers', async () => {
    const index = await get('/');
    expect(index).toMatchObject({ status: 200, body: '<h1>hi</h1>' });
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect((await get('/app.js?token=abc')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(await get('/sub/a.css')).toMatchObject({ status: 200, body: 'body{}' });
    expect(await get('/app.js', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it.each(['/sub/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/sub/%2e%2e%2f%2e%2e%2fsecret.txt', '/link.txt'])('refuses %s (outside the root)', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('SECRET');
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt'])('resolves %s inside the root (URL dot segments), so finds nothing', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('SECRET');
  });

  it('answers 404 for missing files and directories, 400 for bad escapes and NUL, 405 for writes', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/sub')).status).toBe(404);
    expect((await get('/%E0%A4%A')).status).toBe(400);
    expect((await get('/app.js%00.html')).status).toBe(400);
    expect((await get('/app.js', 'POST')).status).toBe(405);
  });
});
