import type { ControlMessage, ServerMessage } from '../../streams/sinks/protocol';

/** What the connection pill shows. */
export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'retrying'; readonly inMs: number }
  | { readonly kind: 'unauthorized'; readonly reason: string };

/**
 * What the page says when the server refuses its socket (`status` and the server's `reason`).
 *
 * 1. 401 (the token is wrong or missing — the usual cause: the server was started with another
 *    token, e.g. after `--new-token`): what to do, the address the server printed or
 *    `npx rxgrad token`, which prints it again.
 * 2. Anything else (403: another origin or host): the server's reason as it is.
 *
 * @example
 * refusalMessage(401, 'invalid token: …'); // "This dashboard's token changed: open the address …"
 */
export function refusalMessage(status: number, reason: string): string {
  if (status !== 401) return reason;
  return `This dashboard's token changed (or this address has none): open the address the server printed (http://…/?token=…), or run \`npx rxgrad token\` to print it. Server: ${reason}`;
}

/** Distributive Omit, so each control message keeps its own fields. */
export type ControlRequest = ControlMessage extends infer M ? (M extends ControlMessage ? Omit<M, 'id'> : never) : never;

/**
 * The page's WebSocket to the metrics server, reconnecting on its own.
 *
 * 1. Connects to `/ws?token=…` on the page's own host, with the token from the page URL.
 * 2. On close, retries after 0.5 s, doubling up to 8 s. A socket refused before it opened
 *    asks the server why (a plain `GET /ws?token=…`): a 401 or 403 (bad token, foreign origin)
 *    stops retrying and says what to do (`refusalMessage`). Every reconnect receives `hello` and the full
 *    history again.
 * 3. `send` numbers each control message and resolves with the server's `ack` detail, or
 *    rejects with its reason (or "not connected").
 *
 * @example
 * const conn = new Connection(location, (m) => store.apply(m), (s) => pill.show(s));
 * await conn.send({ type: 'pause', run: 'airfoil-adam' });
 */
export class Connection {
  private ws: WebSocket | undefined;
  private delay = 500;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (detail: string) => void; reject: (reason: Error) => void }>();

  constructor(
    private readonly location: Location,
    private readonly onMessage: (msg: ServerMessage) => void,
    private readonly onState: (state: ConnectionState) => void,
  ) {
    this.open();
  }

  send(msg: ControlRequest): Promise<string> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const id = this.nextId++;
    ws.send(JSON.stringify({ ...msg, id }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private open(): void {
    const token = new URLSearchParams(this.location.search).get('token') ?? '';
    const scheme = this.location.protocol === 'https:' ? 'wss' : 'ws';
    this.onState({ kind: 'connecting' });
    const ws = new WebSocket(`${scheme}://${this.location.host}/ws?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.delay = 500;
      this.onState({ kind: 'live' });
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as ServerMessage;
      if (msg.type === 'ack' || msg.type === 'reject') {
        const waiter = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
        if (waiter) {
          this.pending.delete(msg.id as number);
          if (msg.type === 'ack') waiter.resolve(msg.detail);
          else waiter.reject(new Error(msg.reason));
        }
      }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      for (const w of this.pending.values()) w.reject(new Error('connection lost'));
      this.pending.clear();
      void (opened ? Promise.resolve(undefined) : this.refusal(token)).then((reason) => {
        if (reason !== undefined) return this.onState({ kind: 'unauthorized', reason });
        const inMs = this.delay;
        this.delay = Math.min(this.delay * 2, 8000);
        this.onState({ kind: 'retrying', inMs });
        setTimeout(() => this.open(), inMs);
      });
    };
  }

  /** Why the server refuses the socket (its 401/403 answer to a plain GET), or undefined: try again. */
  private async refusal(token: string): Promise<string | undefined> {
    try {
      const res = await fetch(`/ws?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
      return res.status === 401 || res.status === 403 ? refusalMessage(res.status, await res.text()) : undefined;
    } catch {
      return undefined;
    }
  }
}
