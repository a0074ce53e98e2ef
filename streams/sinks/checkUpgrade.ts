import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { requestUrl } from './requestUrl';

/** Why a request to `/ws` is refused: the HTTP status and a reason for the body. */
export interface UpgradeRefusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * Check a request for the metrics socket before it is upgraded; `undefined` when it may be.
 *
 * 1. `Host` must name this server as a DNS rebinding page cannot: `localhost`, an IP address
 *    (v4 or v6) or the bound `host` itself — else 403.
 * 2. An `Origin` (sent by browsers) must be this server's own origin: http(s) with the same
 *    host and port as `Host` — else 403 (a page from another site, `Origin: null`). Clients that
 *    send no Origin (Node, curl) pass.
 * 3. `?token=` must equal `token`, compared in constant time (SHA-256 digests, `timingSafeEqual`)
 *    — else 401, saying whether it was missing or wrong.
 *
 * @example
 * http.on('upgrade', (req, socket) => {
 *   const refused = checkUpgrade(req, { token: 'secret-token', host: '127.0.0.1' });
 *   if (refused) socket.end(`HTTP/1.1 ${refused.status} Refused\r\n\r\n${refused.reason}`);
 * });
 */
export function checkUpgrade(req: IncomingMessage, expected: { readonly token: string; readonly host: string }): UpgradeRefusal | undefined {
  const hostHeader = req.headers.host ?? '';
  const host = parseUrl(`http://${hostHeader}`);
  const hostname = host?.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1') ?? '';
  if (!host || !(hostname === 'localhost' || isIP(hostname) !== 0 || hostname === expected.host.toLowerCase())) {
    return { status: 403, reason: `host ${JSON.stringify(hostHeader)} not allowed: connect to localhost, an IP address or ${expected.host}` };
  }
  const originHeader = req.headers.origin;
  if (originHeader !== undefined) {
    const origin = parseUrl(originHeader);
    const https = origin?.protocol === 'https:';
    const port = (u: URL) => u.port || (https ? '443' : '80');
    const same = origin !== undefined && (origin.protocol === 'http:' || https) && origin.hostname === host.hostname && port(origin) === port(host);
    if (!same) return { status: 403, reason: `origin ${JSON.stringify(originHeader)} not allowed: open the page this server serves` };
  }
  const token = requestUrl(req)?.searchParams.get('token') ?? '';
  if (!timingSafeEqual(digest(token), digest(expected.token))) {
    return { status: 401, reason: token ? 'invalid token: open the URL printed at start (…/?token=…)' : 'token required: open the URL printed at start (…/?token=…)' };
  }
  return undefined;
}
