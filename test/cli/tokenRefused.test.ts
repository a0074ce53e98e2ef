import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { Connection, refusalMessage, type ConnectionState } from '../../demo/web/Connection';
import { metricsServer, type MetricsServer } from '../../streams/sinks/MetricsServer';

/** The browser's WebSocket as far as Connection uses it (ws throws on an unheard error; a browser does not). */
class PageSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.on('error', () => undefined);
  }
}

let server: MetricsServer | undefined;
afterEach(async () => {
  vi.unstubAllGlobals();
  await server?.close();
});

/** A page at `server`'s address with `token`, as Connection sees it: every state it shows, until `until` holds. */
async function page(s: MetricsServer, token: string, until: (state: ConnectionState) => boolean): Promise<ConnectionState[]> {
  const base = `http://127.0.0.1:${s.port}`;
  const realFetch = fetch;
  vi.stubGlobal('WebSocket', PageSocket);
  vi.stubGlobal('fetch', (url: string, init?: RequestInit) => realFetch(new URL(url, base), init));
  const location = { search: `?token=${encodeURIComponent(token)}`, protocol: 'http:', host: `127.0.0.1:${s.port}` } as Location;
  const states: ConnectionState[] = [];
  await new Promise<void>((resolve) => {
    new Connection(location, () => undefined, (state) => {
      states.push(state);
      if (until(state)) resolve();
    });
  });
  return states;
}

describe('a page whose token the server refuses', () => {
  it('stops retrying and says what to do: the printed address or `npx rxgrad token`', async () => {
    server = await metricsServer({ token: 'token-of-this-launch', staticDir: null });
    const states = await page(server, 'token-of-the-last-launch', (s) => s.kind === 'unauthorized');
    expect(states).toEqual([
      { kind: 'connecting' },
      {
        kind: 'unauthorized',
        reason:
          "This dashboard's token changed (or this address has none): open the address the server printed (http://…/?token=…), or run `npx rxgrad token` to print it. Server: invalid token: open the URL printed at start (…/?token=…)",
      },
    ]);
  });

  it('shows any other refusal (403) as the server words it', () => {
    expect(refusalMessage(403, 'origin "http://evil.example" not allowed: open the page this server serves')).toBe('origin "http://evil.example" not allowed: open the page this server serves');
  });
});
