import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkUpgrade } from '../../streams/sinks/checkUpgrade';

const expected = { token: 'secret-token-1', host: '127.0.0.1' };
const req = (url: string, headers: Record<string, string>) => ({ url, headers }) as unknown as IncomingMessage;
const ok = '/ws?token=secret-token-1';

describe('checkUpgrade', () => {
  it.each([
    ['127.0.0.1:8080', undefined],
    ['localhost:8080', undefined],
    ['LOCALHOST:8080', undefined],
    ['[::1]:8080', undefined],
    ['192.168.1.5:8080', undefined],
    ['evil.example:8080', 403],
    ['localhost.evil.example', 403],
    ['', 403],
  ])('Host %j → %s', (host, status) => {
    expect(checkUpgrade(req(ok, host ? { host } : {}), expected)?.status).toBe(status);
  });

  it('accepts the bound host name itself', () => {
    expect(checkUpgrade(req(ok, { host: 'box.lan:80' }), { ...expected, host: 'box.lan' })).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:8080', '127.0.0.1:8080', undefined],
    ['http://localhost:8080', 'localhost:8080', undefined],
    ['https://dash.local', 'localhost:443', 403],
    ['http://localhost', 'localhost:80', undefined],
    ['https://localhost', 'localhost', undefined],
    ['http://localhost:8081', 'localhost:8080', 403],
    ['http://127.0.0.1:8080', 'localhost:8080', 403],
    ['null', '127.0.0.1:8080', 403],
    ['file://', '127.0.0.1:8080', 403],
    ['chrome-extension://abc', '127.0.0.1:8080', 403],
  ])('Origin %j with Host %j → %s', (origin, host, status) => {
    expect(checkUpgrade(req(ok, { host, origin }), expected)?.status).toBe(status);
  });

  it('checks the token last, saying whether it was missing or wrong', () => {
    const host = '127.0.0.1:8080';
    expect(checkUpgrade(req('/ws', { host }), expected)).toEqual({ status: 401, reason: 'token required: open the URL printed at start (…/?token=…)' });
    expect(checkUpgrade(req('/ws?token=secret-token-2', { host }), expected)).toEqual({ status: 401, reason: 'invalid token: open the URL printed at start (…/?token=…)' });
    expect(checkUpgrade(req('/ws?token=secret-token-1x', { host }), expected)?.status).toBe(401);
    expect(checkUpgrade(req('/ws?token=x', { host: 'evil.example' }), expected)?.status).toBe(403);
  });
});
