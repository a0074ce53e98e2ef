import { WebSocket, type ClientOptions } from 'ws';
import type { ServerMessage } from '../../streams/sinks/protocol';

/** A test client: every message it got, and a way to wait for one. */
export interface TestClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  /** Resolves with the first message (seen or future) matching `pred`. */
  next<M extends ServerMessage>(pred: (m: ServerMessage) => m is M, timeoutMs?: number): Promise<M>;
  next(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
}

/** Connect to `ws://127.0.0.1:<port>/ws?token=…` (no token when `token` is undefined). */
export function connect(port: number, token: string | undefined, options: ClientOptions = {}): TestClient {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`, options);
  const messages: ServerMessage[] = [];
  const waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as ServerMessage;
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('error', () => undefined);
  return {
    ws,
    messages,
    closed,
    next: (pred: (m: ServerMessage) => boolean, timeoutMs = 5000) =>
      new Promise<ServerMessage>((resolve, reject) => {
        const seen = messages.find(pred);
        if (seen) return resolve(seen);
        const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; got ${messages.map((m) => m.type).join(' ')}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      }),
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
  } as TestClient;
}
