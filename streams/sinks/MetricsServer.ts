import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import type { Observable, Subscription } from 'rxjs';
import { createRequire } from 'node:module';
import type { WebSocket, WebSocketServer } from 'ws';
import { RxgradError, shown } from '../../src/RxgradError';
import { bool, inRange, positiveInt } from '../../src/validate';
import type { StepResult } from '../Step';
import { CoalescingQueue } from './CoalescingQueue';
import { checkUpgrade } from './checkUpgrade';
import { CONTROL_TYPES, parseControlMessage, type CustomMessage } from './parseControlMessage';
import { publishRun } from './publishRun';
import { PROTOCOL_VERSION, type AckMessage, type ControlMessage, type HelloMessage, type RejectMessage, type RunInfo, type RunSpec } from './protocol';
import { requestUrl } from './requestUrl';
import { RunChannel, type RunHub } from './RunChannel';
import { DASHBOARD_DIR } from './dashboardDir';
import { serveStatic } from './serveStatic';
import { TokenBucket } from './TokenBucket';
import { toCsv } from './toCsv';

let wsPackage: typeof import('ws') | undefined;

/** ws, loaded when the first server starts: importing `rxgrad/streams` for a pipeline without a dashboard does not load it (30–80 ms of a cold start here). */
function ws(): typeof import('ws') {
  return (wsPackage ??= createRequire(import.meta.url)('ws') as typeof import('ws'));
}

/** Options of `MetricsServer`. */
export interface MetricsServerOptions {
  /** TCP port; 0 (default) picks a free one (see `port` / `url` once `listening` resolves). */
  readonly port?: number;
  /** Interface to bind (default `127.0.0.1`: this machine only). */
  readonly host?: string;
  /** Token clients must present (`/ws?token=…`); default 24 random bytes, base64url. */
  readonly token?: string;
  /** Directory of the dashboard page, served read-only at `/` (default `DASHBOARD_DIR`, the page shipped with rxgrad; `null`: no page). */
  readonly staticDir?: string | null;
  /** Points per run kept for late joiners before the history is thinned (default 10,000). */
  readonly historyCap?: number;
  /** Points per run queued per client before coalescing (default 2,000). */
  readonly queueCap?: number;
  /** A client with more than this many bytes unsent gets no more until it catches up (default 1 MiB). */
  readonly highWaterBytes?: number;
  /** Queued points are sent in batches every `flushMs` (default 50). */
  readonly flushMs?: number;
  /**
   * Live points sent per run and second, at most (default 500; `Infinity`: all). Beyond it a
   * batch is thinned uniformly, keeping the latest point, and says how many were `missed`
   * (a chart needs no more; `jsonl` keeps every point).
   */
  readonly maxPointsPerSecond?: number;
  /** Ping interval; a client that has not answered the previous ping is dropped (default 10,000). */
  readonly heartbeatMs?: number;
  /** Largest control message accepted, in bytes (default 4,096; frames over 64 KiB close the socket). */
  readonly maxMessageBytes?: number;
  /** Open sockets at most; a connection beyond is answered 503 and not upgraded (default 32). */
  readonly maxClients?: number;
  /**
   * Running or paused runs at most (default 64): `run` / `launch` beyond it throw, a client's
   * `restart` beyond it is rejected.
   */
  readonly maxRuns?: number;
  /**
   * Points kept across finished runs for late joiners (default 200,000). Beyond it the oldest
   * finished runs' histories are evicted (`RunInfo.evicted`; `jsonl` keeps every point).
   */
  readonly historyBudget?: number;
  /**
   * Finished runs listed at most (default 1,000): beyond it the oldest finished are forgotten
   * (a last `run` message with `removed: true`), so restarting run after run cannot grow the
   * server or its `hello` without bound.
   */
  readonly maxFinishedRuns?: number;
  /** Control messages accepted per client and second (default 10; `Infinity`: no limit); excess ones are rejected with a reason. */
  readonly controlsPerSecond?: number;
  /** Control messages a client may send at once before `controlsPerSecond` applies (default 20). */
  readonly controlBurst?: number;
}

/**
 * Handles a client message of a type registered with `MetricsServer.handle`: returns the `ack`
 * detail, or throws (an `RxgradError`) to answer `reject` with the message. A promise defers the
 * answer until it settles (flow control: a producer waiting for its ack waits for room).
 */
export type MessageHandler = (message: CustomMessage) => string | PromiseLike<string>;

/** What a launched run gets: the streams its pipeline wires in (compatible with `demo/Experiment`'s `RunControls`). */
export interface LiveControls {
  /** `true` while paused from the dashboard: pass it as the source's `paused` option. */
  readonly paused: Observable<boolean>;
  /** Each live hyperparameter of the spec, as the values set from the dashboard. */
  readonly live: Readonly<Record<string, Observable<number>>>;
  /** `live.lr`, when the spec makes `lr` live. */
  readonly lr?: Observable<number>;
  /** The optimizer names set from the dashboard (the spec's `optimizers`): `optimize`'s `switchTo`. */
  readonly optimizer: Observable<string>;
  /** Hyperparameters edited for a restart (undefined for a first start). */
  readonly hyper?: Readonly<Record<string, number>>;
}

/** A run to `launch`: its description and the hyperparameters a restart may edit. */
export interface LaunchSpec extends RunSpec {
  /** Hyperparameters a `restart` may edit, with their current values. */
  readonly editable?: Readonly<Record<string, number>>;
}

/** Per-client numbers, for tests and monitoring. */
export interface ClientStats {
  /** Points waiting in this client's own queues (it fell behind). */
  readonly queued: number;
  /** Bytes handed to the socket but not yet sent. */
  readonly bufferedAmount: number;
  /** Control messages rejected so far. */
  readonly rejected: number;
}

interface Client {
  readonly ws: WebSocket;
  alive: boolean;
  rejected: number;
  readonly queues: Map<string, CoalescingQueue<string>>;
  readonly bucket: TokenBucket;
}

interface Handler {
  readonly handle: MessageHandler;
  readonly limited: boolean;
}

const HARD_MAX_PAYLOAD = 64 * 1024;

/** A `points` message from serialized points. */
function pointsMessage(run: string, items: readonly string[], missed: number): string {
  return `{"type":"points","run":${JSON.stringify(run)},"missed":${missed},"points":[${items.join(',')}]}`;
}

/** Refuse an upgrade request in plain HTTP (the socket is never upgraded). */
function refuse(socket: Duplex, status: number, reason: string): void {
  const body = Buffer.from(reason);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${reason}`);
}

/**
 * The dashboard server: HTTP for the page, WebSocket `/ws` for metrics and control.
 *
 * 1. Binds `host` (127.0.0.1 by default). The upgrade to a socket is checked before it happens
 *    (`checkUpgrade`): `?token=` equal to `token` (constant time) or 401; `Host` the bound host,
 *    `localhost` or an IP address, and `Origin` (if sent) this server's own, or 403; at most
 *    `maxClients` sockets, or 503. A refused request is answered in plain HTTP with the reason
 *    and never upgraded; a plain `GET /ws?token=…` gets the same answer (426 when all is well),
 *    so a page can say why its socket was refused.
 * 2. On connect a client gets `hello` (every run), then each run's history, then live point
 *    batches every `flushMs`: one message per run, encoded once for all clients keeping up.
 *    Points wait in a `CoalescingQueue` per run holding at most `maxPointsPerSecond` ×
 *    `flushMs` points (thinned beyond, keeping the latest; serialized only when sent). A client whose socket holds
 *    more than `highWaterBytes` unsent gets nothing more until it drains: it gets its own
 *    queues meanwhile, coalescing, and the batch it finally gets tells how many points it
 *    `missed`. Publishing never waits for any client.
 * 3. Every `heartbeatMs` each client is pinged; one that did not answer the previous ping is
 *    terminated.
 * 4. Control messages are rate-limited per client (`TokenBucket`: `controlBurst` at once, then
 *    `controlsPerSecond`), size-limited and schema-checked (`parseControlMessage`), then handed
 *    to the run (`RunChannel.control`) or to the handler registered for their type (`handle`);
 *    each is answered `ack` or `reject` with a reason. A bad message never reaches a run.
 * 5. `run(spec)` registers a run fed by `wsMetrics(run)`; `launch(spec, start)` also subscribes
 *    `start(controls)` and can restart it with edited hyperparameters as a new run. At most
 *    `maxRuns` runs are running or paused. A restart is refused while a restart of the same run
 *    is under way or still running (restart or stop that one), and beyond `maxRuns`.
 * 7. Finished runs keep their history within `historyBudget` points in all; beyond it the
 *    oldest finished runs' histories are evicted and a `run` message says so (`evicted`).
 *    Beyond `maxFinishedRuns` finished runs, the oldest are forgotten (`removed`).
 * 6. GET serves the files of `staticDir` (`serveStatic`: no path traversal): by default the
 *    dashboard page shipped with rxgrad (`DASHBOARD_DIR`); a 404 says when it is not built.
 *
 * @example
 * const server = await metricsServer({ port: 8080 }); // serves the dashboard page at /
 * console.log(server.url); // http://127.0.0.1:8080/?token=…
 * server.launch({ id: 'adam', name: 'Adam', live: { lr: { min: 0, minOpen: true } } }, (c) => experiment.run(c));
 */
export class MetricsServer {
  /** The token clients must present. */
  readonly token: string;
  /** Resolves once the server listens (rejects if it cannot). */
  readonly listening: Promise<void>;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly runs = new Map<string, RunChannel>();
  private readonly launched = new Map<string, Subscription>();
  private readonly clients = new Set<Client>();
  /** Points not yet sent, per run (shared by every client keeping up). */
  private readonly pending = new Map<string, CoalescingQueue<StepResult>>();
  private readonly pendingCap: number;
  private readonly restarts = new Map<string, number>();
  private readonly handlers = new Map<string, Handler>();
  private readonly handledTypes = new Set<string>();
  /** Ended runs still holding a history, oldest finished first, and the points they keep. */
  private readonly finished = new Set<RunChannel>();
  private finishedPoints = 0;
  /** Every ended run still listed, oldest finished first. */
  private readonly ended = new Set<RunChannel>();
  private readonly maxFinishedRuns: number;
  private readonly host: string;
  private readonly maxClients: number;
  private readonly maxRuns: number;
  private readonly historyBudget: number;
  private readonly controlsPerSecond: number;
  private readonly controlBurst: number;
  private readonly hub: RunHub;
  private readonly historyCap: number;
  private readonly queueCap: number;
  private readonly highWaterBytes: number;
  private readonly flushMs: number;
  private readonly maxMessageBytes: number;
  private readonly heartbeat: NodeJS.Timeout;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: MetricsServerOptions = {}) {
    const port = positiveInt('port', options.port ?? 0, 0);
    this.token = options.token ?? randomBytes(24).toString('base64url');
    if (typeof this.token !== 'string' || this.token.length < 8) throw new RxgradError('token', 'a string of at least 8 characters', options.token);
    this.historyCap = positiveInt('historyCap', options.historyCap ?? 10_000, 2);
    this.queueCap = positiveInt('queueCap', options.queueCap ?? 2_000, 2);
    this.highWaterBytes = positiveInt('highWaterBytes', options.highWaterBytes ?? 1 << 20);
    this.flushMs = positiveInt('flushMs', options.flushMs ?? 50, 0);
    this.maxMessageBytes = positiveInt('maxMessageBytes', options.maxMessageBytes ?? 4096);
    const heartbeatMs = positiveInt('heartbeatMs', options.heartbeatMs ?? 10_000);
    this.host = options.host ?? '127.0.0.1';
    this.maxClients = positiveInt('maxClients', options.maxClients ?? 32);
    this.maxRuns = positiveInt('maxRuns', options.maxRuns ?? 64);
    this.historyBudget = positiveInt('historyBudget', options.historyBudget ?? 200_000, 0);
    this.maxFinishedRuns = positiveInt('maxFinishedRuns', options.maxFinishedRuns ?? 1_000, 0);
    this.controlsPerSecond = options.controlsPerSecond === Infinity ? Infinity : inRange('controlsPerSecond', options.controlsPerSecond ?? 10, { min: 0, minOpen: true });
    this.controlBurst = positiveInt('controlBurst', options.controlBurst ?? 20);
    const rate = options.maxPointsPerSecond === Infinity ? Infinity : inRange('maxPointsPerSecond', options.maxPointsPerSecond ?? 500, { min: 0, minOpen: true });
    this.pendingCap = Math.min(this.queueCap, Math.max(2, Math.ceil((rate * Math.max(this.flushMs, 1)) / 1000)));
    this.hub = {
      point: (run, result) => this.queuePoint(run, result),
      changed: (info) => this.broadcastInfo(info),
      ended: (run) => this.retire(run),
    };
    const staticDir = options.staticDir === undefined ? DASHBOARD_DIR : options.staticDir;
    const unbuilt = staticDir === DASHBOARD_DIR && !existsSync(join(DASHBOARD_DIR, 'index.html'));
    const files = staticDir === null || unbuilt ? undefined : serveStatic(staticDir);
    const missing = unbuilt ? `the dashboard page is not built (npm run build:web writes ${DASHBOARD_DIR}); ` : '';
    this.http = createServer((req, res) => {
      const url = requestUrl(req);
      if (!url) return void res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad request target');
      if (url.pathname === '/ws') return this.probe(req, res);
      if (files) return void files(req, res);
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`rxgrad metrics server: ${missing}connect a WebSocket to /ws?token=…`);
    });
    this.wss = new (ws().WebSocketServer)({ noServer: true, maxPayload: HARD_MAX_PAYLOAD, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      const url = requestUrl(req);
      if (!url) return refuse(socket, 400, 'bad request target');
      if (url.pathname !== '/ws') return refuse(socket, 404, 'not found: connect to /ws?token=…');
      const refused = checkUpgrade(req, { token: this.token, host: this.host });
      if (refused) return refuse(socket, refused.status, refused.reason);
      if (this.closed) return refuse(socket, 503, 'server closing');
      if (this.clients.size >= this.maxClients) return refuse(socket, 503, `too many connections (maxClients ${this.maxClients}): close another tab`);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws));
    });
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs).unref();
    this.listening = new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, this.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
  }

  /** The bound port (after `listening`). */
  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The page address with the token, e.g. `http://127.0.0.1:8080/?token=…` (after `listening`). */
  get url(): string {
    const { address, family } = this.http.address() as AddressInfo;
    const host = family === 'IPv6' ? `[${address}]` : address;
    return `http://${host}:${this.port}/?token=${encodeURIComponent(this.token)}`;
  }

  /** Every run's description. */
  get infos(): RunInfo[] {
    return [...this.runs.values()].map((r) => r.info);
  }

  /** Register a run; feed it with `wsMetrics(run)`. Its id must be new on this server. */
  run(spec: RunSpec): RunChannel {
    return this.add(spec, {});
  }

  /**
   * Register a run and subscribe `start(controls)` to feed it. A `restart` from a client stops
   * it (if still going) and launches `start` again, with the edited hyperparameters in
   * `controls.hyper`, as a new run `<id>~<n>`. Errors end the run with status `error`.
   */
  launch(spec: LaunchSpec, start: (controls: LiveControls) => Observable<StepResult>): RunChannel {
    return this.launchRun(spec, start, spec, undefined);
  }

  /**
   * Route client messages of `type` to `handler` (the extension point for message types beyond
   * the built-in controls, e.g. examples sent for online training). The message arrives
   * size-limited and parsed (`CustomMessage`, a null-prototype object, `id` checked); what the
   * handler returns is sent as the `ack` detail, what it throws as the `reject` reason. With
   * `limited` (default true) the message counts against the client's control rate.
   *
   * @example
   * server.handle('note', (m) => {
   *   if (typeof m.text !== 'string') throw new RxgradError('text', 'a string', m.text);
   *   notes.push(m.text);
   *   return `noted ${notes.length}`;
   * });
   */
  handle(type: string, handler: MessageHandler, options: { readonly limited?: boolean } = {}): void {
    if (typeof type !== 'string' || !/^[a-z][A-Za-z0-9_-]{0,31}$/.test(type) || CONTROL_TYPES.includes(type as ControlMessage['type']) || this.handlers.has(type)) {
      throw new RxgradError('type', 'a new message type (a lowercase word, not a built-in control)', type);
    }
    if (typeof handler !== 'function') throw new RxgradError('handler', 'a function', handler);
    this.handlers.set(type, { handle: handler, limited: bool('limited', options.limited ?? true) });
    this.handledTypes.add(type);
  }

  /** All runs' kept points as one CSV table (see `toCsv`). */
  toCsv(): string {
    return toCsv([...this.runs.values()].map((r) => ({ id: r.id, name: r.spec.name, points: r.points() })));
  }

  /** Per-client queue and socket numbers. */
  stats(): ClientStats[] {
    return [...this.clients].map((c) => ({
      queued: [...c.queues.values()].reduce((s, q) => s + q.length, 0),
      bufferedAmount: c.ws.bufferedAmount,
      rejected: c.rejected,
    }));
  }

  /** Stop launched runs, drop every client (code 1001) and stop listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const sub of this.launched.values()) sub.unsubscribe();
    for (const c of this.clients) c.ws.close(1001, 'server closing');
    const forced = setTimeout(() => {
      for (const c of this.clients) c.ws.terminate();
    }, 1000).unref();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    clearTimeout(forced);
  }

  private launchRun(
    spec: LaunchSpec,
    start: (controls: LiveControls) => Observable<StepResult>,
    base: LaunchSpec,
    hyper: Readonly<Record<string, number>> | undefined,
    restartOf?: string,
  ): RunChannel {
    let restarting = false;
    let restartedAs: RunChannel | undefined;
    const restart = (edit: Readonly<Record<string, number>>): string => {
      const self = shown(`run \`${channel.id}\``);
      if (restarting) throw new RxgradError('run', 'a run not being restarted', self);
      if (restartedAs && !restartedAs.ended) throw new RxgradError('run', `a run whose restart has ended (restart or stop \`${restartedAs.id}\`)`, shown(`run \`${channel.id}\`, restarted as \`${restartedAs.id}\` (${restartedAs.info.status})`));
      // The restarted run stops, so it frees its own place.
      if (this.active() - (channel.ended ? 0 : 1) >= this.maxRuns) throw new RxgradError('run', `at most ${this.maxRuns} running runs on this server (stop one first)`, self);
      restarting = true;
      try {
        if (!channel.ended) channel.requestStop();
        const n = (this.restarts.get(base.id) ?? 1) + 1;
        this.restarts.set(base.id, n);
        const all = { ...hyper, ...edit };
        const label = Object.entries(all).map(([k, v]) => `${k}=${v}`).join(', ');
        const next: LaunchSpec = {
          ...base,
          id: `${base.id}~${n}`,
          name: `${base.name} ↻${n}${label ? ` (${label})` : ''}`,
          config: { ...base.config, ...all },
          editable: { ...base.editable, ...all },
        };
        restartedAs = this.launchRun(next, start, base, all, channel.id);
        return restartedAs.id;
      } finally {
        restarting = false;
      }
    };
    const channel = this.add(spec, { restart, editable: spec.editable ?? {}, ...(restartOf && { restartOf }) });
    const live = channel.live;
    const controls: LiveControls = { paused: channel.paused, live, optimizer: channel.optimizer, ...(live.lr && { lr: live.lr }), ...(hyper && { hyper }) };
    try {
      this.launched.set(channel.id, start(controls).pipe(publishRun(channel)).subscribe({ error: () => undefined }));
    } catch (err) {
      channel.end('error', err);
    }
    return channel;
  }

  private add(spec: RunSpec, options: ConstructorParameters<typeof RunChannel>[2]): RunChannel {
    if (this.runs.has(spec?.id)) throw new RxgradError('id', 'a run id not yet used on this server', spec.id);
    if (this.active() >= this.maxRuns) throw new RxgradError('run', `at most ${this.maxRuns} running runs on this server (option maxRuns)`, shown(`run \`${spec.id}\` beyond them`));
    const channel = new RunChannel(spec, this.hub, { historyCap: this.historyCap, ...options });
    this.runs.set(channel.id, channel);
    this.broadcastInfo(channel.info);
    return channel;
  }

  /** Running or paused runs. */
  private active(): number {
    let n = 0;
    for (const run of this.runs.values()) if (!run.ended) n += 1;
    return n;
  }

  /**
   * An ended run's history joins the budget of finished runs; the oldest finished histories go
   * first beyond it, and the oldest finished runs altogether beyond `maxFinishedRuns`.
   */
  private retire(run: RunChannel): void {
    this.launched.delete(run.id);
    this.finished.add(run);
    this.finishedPoints += run.kept;
    for (const oldest of this.finished) {
      if (this.finishedPoints <= this.historyBudget) break;
      this.finished.delete(oldest);
      this.finishedPoints -= oldest.kept;
      oldest.evict();
    }
    this.ended.add(run);
    for (const oldest of this.ended) {
      if (this.ended.size <= this.maxFinishedRuns) break;
      this.ended.delete(oldest);
      if (this.finished.delete(oldest)) this.finishedPoints -= oldest.kept;
      this.runs.delete(oldest.id);
      this.pending.delete(oldest.id);
      for (const client of this.clients) client.queues.delete(oldest.id);
      this.broadcastInfo({ ...oldest.info, removed: true });
    }
  }

  /** A plain GET /ws: the answer the upgrade would get (426 when it would be upgraded). */
  private probe(req: IncomingMessage, res: ServerResponse): void {
    const refused = checkUpgrade(req, { token: this.token, host: this.host });
    const [status, reason] = refused ? [refused.status, refused.reason] : [426, 'upgrade to a WebSocket to connect'];
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(reason);
  }

  private connect(ws: WebSocket): void {
    const client: Client = { ws, alive: true, rejected: 0, queues: new Map(), bucket: new TokenBucket(this.controlsPerSecond, this.controlBurst) };
    const hello: HelloMessage = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      runs: this.infos,
      limits: {
        maxMessageBytes: this.maxMessageBytes,
        historyCap: this.historyCap,
        historyBudget: this.historyBudget,
        maxFinishedRuns: this.maxFinishedRuns,
        maxRuns: this.maxRuns,
        controlsPerSecond: this.controlsPerSecond === Infinity ? null : this.controlsPerSecond,
        controlBurst: this.controlBurst,
      },
    };
    ws.send(JSON.stringify(hello));
    for (const run of this.runs.values()) ws.send(run.historyMessage());
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => this.receive(client, data as Buffer, isBinary));
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => ws.terminate());
  }

  private receive(client: Client, data: Buffer, isBinary: boolean): void {
    const parsed = parseControlMessage(data, isBinary, this.maxMessageBytes, this.handledTypes);
    const id = !parsed.ok ? parsed.id : (parsed.message ?? parsed.custom).id;
    let answer: AckMessage | RejectMessage;
    try {
      const handler = parsed.ok && parsed.custom ? this.handlers.get(parsed.custom.type) : undefined;
      if (!handler || handler.limited) {
        const wait = client.bucket.take(performance.now());
        if (wait > 0) throw new RxgradError('message', `at most ${this.controlBurst} control messages at once, then ${this.controlsPerSecond} per second`, shown(`one more (retry in ${wait} ms)`));
      }
      if (!parsed.ok) throw new Error(parsed.reason);
      if (parsed.custom) {
        const detail = handler!.handle(parsed.custom);
        if (typeof detail !== 'string') return this.answerLater(client, id, detail);
        return this.answer(client, { type: 'ack', ...(id !== undefined && { id }), detail });
      }
      const channel = this.runs.get(parsed.message.run);
      if (!channel) throw new RxgradError('run', `a run on this server (${[...this.runs.keys()].slice(0, 5).join(', ')}${this.runs.size > 5 ? ' …' : ''})`, parsed.message.run);
      answer = { type: 'ack', ...(id !== undefined && { id }), detail: channel.control(parsed.message) };
    } catch (err) {
      client.rejected += 1;
      answer = { type: 'reject', ...(id !== undefined && { id }), reason: err instanceof Error ? err.message : String(err) };
    }
    this.answer(client, answer);
  }

  /** Answer a handler's deferred result when it settles. */
  private answerLater(client: Client, id: number | string | undefined, detail: PromiseLike<string>): void {
    detail.then(
      (d) => this.answer(client, { type: 'ack', ...(id !== undefined && { id }), detail: d }),
      (err: unknown) => {
        client.rejected += 1;
        this.answer(client, { type: 'reject', ...(id !== undefined && { id }), reason: err instanceof Error ? err.message : String(err) });
      },
    );
  }

  private answer(client: Client, answer: AckMessage | RejectMessage): void {
    // A client that floods messages without reading the answers gets no more answers.
    if (client.ws.bufferedAmount <= this.highWaterBytes) client.ws.send(JSON.stringify(answer));
  }

  private queuePoint(run: string, result: StepResult): void {
    if (this.clients.size === 0) return;
    let queue = this.pending.get(run);
    if (!queue) this.pending.set(run, (queue = new CoalescingQueue<StepResult>(this.pendingCap)));
    queue.push(result);
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    // One message per run, encoded once and sent as is to every client keeping up.
    const batches: { run: string; items: string[]; missed: number; frame: Buffer }[] = [];
    for (const [run, queue] of this.pending) {
      if (queue.length === 0) continue;
      const { items, missed } = queue.drain();
      const json = items.map((r) => JSON.stringify(r));
      batches.push({ run, items: json, missed, frame: Buffer.from(pointsMessage(run, json, missed)) });
    }
    let behind = false;
    for (const client of this.clients) {
      if (client.ws.readyState !== client.ws.OPEN) continue;
      const lagging = client.ws.bufferedAmount > this.highWaterBytes;
      const queued = [...client.queues.values()].some((q) => q.length > 0);
      if (!lagging && !queued) {
        for (const b of batches) client.ws.send(b.frame, { binary: false });
        continue;
      }
      // A client that fell behind gets its own coalescing queues, drained in order when it catches up.
      for (const b of batches) {
        let queue = client.queues.get(b.run);
        if (!queue) client.queues.set(b.run, (queue = new CoalescingQueue<string>(this.queueCap)));
        for (const item of b.items) queue.push(item);
        queue.miss(b.missed);
      }
      if (lagging) {
        behind = true;
        continue;
      }
      for (const [run, queue] of client.queues) {
        if (queue.length === 0) continue;
        const { items, missed } = queue.drain();
        client.ws.send(pointsMessage(run, items, missed));
      }
    }
    if (behind && !this.closed) this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
  }

  private broadcastInfo(info: RunInfo): void {
    // Points published before the change go out first (to clients keeping up).
    this.flush();
    const json = JSON.stringify({ type: 'run', run: info });
    for (const client of this.clients) if (client.ws.readyState === client.ws.OPEN) client.ws.send(json);
  }

  private beat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.ws.terminate();
        this.clients.delete(client);
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }
}

/**
 * Start a `MetricsServer` and wait until it listens.
 *
 * @example
 * const server = await metricsServer({ port: 0 });
 * console.log(server.url);
 */
export async function metricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const server = new MetricsServer(options);
  await server.listening;
  return server;
}
