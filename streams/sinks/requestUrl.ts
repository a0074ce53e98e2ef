import type { IncomingMessage } from 'node:http';

/**
 * The URL of a request (path and query), or `undefined` when its target cannot be parsed
 * (`GET http://[ …` — `new URL` would throw inside the server's request handler).
 *
 * @example
 * requestUrl(req)?.searchParams.get('token');
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://x');
  } catch {
    return undefined;
  }
}
