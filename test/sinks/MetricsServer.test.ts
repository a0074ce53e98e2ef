import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalize, Observable } from 'rxjs';
import { WebSocket, type ClientOptions } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { sgd } from '../../src/index';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { drive } from '../../streams/sources/drive';
import { objective } from '../../streams/sources/objective';
import { metricsServer, type LiveControls, type MetricsServer } from '../../streams/sinks/MetricsServer';
import { RxgradError } from '../../src/RxgradError';
import type { AckMessage, HelloMessage, HistoryMessage, PointsMessage, RejectMessage, RunMessage, ServerMessage } from '../../streams/sinks/protocol';
import type { RunChannel } from '../../streams/sinks/RunChannel';
import { wsMetrics } from '../../streams/sinks/wsMetrics';
import type { StepResult } from '../../streams/Step';
import { fakeResult } from './fakeResult';
import { connect, type TestClient } from './wsClient';

const servers: MetricsServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of servers.splice(0)) await s.close();
});

async function start(options: Parameters<typeof metricsServer>[0] = {}): Promise<MetricsServer> {
  const server = await metricsServer({ token: 'test-token-123', ...options });
  servers.push(server);
  return server;
}

/** A client presenting `token` (`null`: none). */
function client(server: MetricsServer, token: string | null = server.token, options = {}): TestClient {
  const c = connect(server.port, token ?? undefined, options);
  clients.push(c);
  return c;
}

/** The HTTP answer to an upgrade request that the server refuses (fails the test if it upgrades). */
async function refusal(server: MetricsServer, path: string, options: ClientOptions = {}): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, options);
  return new Promise((resolve, reject) => {
    ws.on('open', () => reject(new Error('upgraded')));
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
  });
}

/** A plain HTTP GET. */
function get(server: MetricsServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) =>
    request({ host: '127.0.0.1', port: server.port, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).end(),
  );
}

const is =
  <T extends ServerMessage['type']>(type: T, run?: string) =>
  (m: ServerMessage): m is Extract<ServerMessage, { type: T }> =>
    m.type === type && (run === undefined || ('run' in m && (typeof m.run === 'string' ? m.run : m.run.id) === run));
const pointsOf = (c: TestClient, run: string) =>
  c.messages.filter((m): m is PointsMessage => m.type === 'points' && m.run === run).flatMap((m) => m.points);
const until = async (cond: () => boolean, timeoutMs = 5000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A run of fake results, one per event-loop turn, whose lr follows `controls.live.lr` and which pauses on `controls.paused`. */
function fakeRun(steps: number) {
  return (controls: LiveControls): Observable<StepResult> =>
    new Observable<StepResult>((subscriber) => {
      let lr = controls.hyper?.lr ?? 0.1;
      const lrSub = controls.lr?.subscribe((v) => (lr = v));
      let i = 0;
      const sub = drive(() => () => (i < steps ? fakeResult(++i, { lr, hyper: { lr } }) : undefined), { yieldEveryMs: 0, paused: controls.paused }).subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        lrSub?.unsubscribe();
      };
    });
}

describe('MetricsServer: connection and token', () => {
  it('binds 127.0.0.1 and prints a URL carrying the token', async () => {
    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=test-token-123`);
    const random = await start({ token: undefined });
    expect(random.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('answers the upgrade without the token or with a wrong one 401 with a reason, never upgrading; GET /ws says the same', async () => {
    const server = await start();
    server.run({ id: 'secret-run', name: 'secret' });
    expect(await refusal(server, '/ws')).toEqual({ status: 401, body: 'token required: open the URL printed at start (…/?token=…)' });
    expect(await refusal(server, '/ws?token=test-token-12X')).toEqual({ status: 401, body: 'invalid token: open the URL printed at start (…/?token=…)' });
    // Nothing was upgraded: no client was ever registered, no message sent.
    expect(server.stats()).toEqual([]);
    // What a page can ask over plain HTTP after its socket was refused.
    expect(await get(server, '/ws?token=wrong-token')).toEqual({ status: 401, body: 'invalid token: open the URL printed at start (…/?token=…)' });
    expect(await get(server, `/ws?token=${server.token}`)).toEqual({ status: 426, body: 'upgrade to a WebSocket to connect' });
  });

  it('refuses an Origin other than its own and a Host that is not its address (DNS rebinding) with 403; same-origin, localhost and no Origin pass', async () => {
    const server = await start();
    const ws = `/ws?token=${server.token}`;
    const own = `http://127.0.0.1:${server.port}`;
    expect(await refusal(server, ws, { origin: 'http://evil.example' })).toEqual({ status: 403, body: 'origin "http://evil.example" not allowed: open the page this server serves' });
    expect(await refusal(server, ws, { origin: 'null' })).toMatchObject({ status: 403 });
    expect(await refusal(server, ws, { origin: `http://127.0.0.1:${server.port + 1}` })).toMatchObject({ status: 403 });
    expect(await refusal(server, ws, { headers: { host: `rebound.evil.example:${server.port}` }, origin: `http://rebound.evil.example:${server.port}` })).toEqual({
      status: 403,
      body: `host "rebound.evil.example:${server.port}" not allowed: connect to localhost, an IP address or 127.0.0.1`,
    });
    expect(server.stats()).toEqual([]);
    const sameOrigin = client(server, server.token, { origin: own });
    const viaLocalhost = client(server, server.token, { headers: { host: `localhost:${server.port}` }, origin: `http://localhost:${server.port}` });
    const node = client(server);
    for (const c of [sameOrigin, viaLocalhost, node]) await c.next(is('hello'));
    expect(server.stats()).toHaveLength(3);
  });

  it('answers connections beyond maxClients 503 without upgrading them', async () => {
    const server = await start({ maxClients: 2 });
    const a = client(server);
    const b = client(server);
    await a.next(is('hello'));
    await b.next(is('hello'));
    expect(await refusal(server, `/ws?token=${server.token}`)).toEqual({ status: 503, body: 'too many connections (maxClients 2): close another tab' });
    expect(server.stats()).toHaveLength(2);
    a.ws.close();
    await a.closed;
    await until(() => server.stats().length === 1);
    await client(server).next(is('hello'));
  });

  it('answers an unparsable request target 400, as a plain request and as an upgrade, and keeps serving', async () => {
    const server = await start();
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = netConnect(server.port, '127.0.0.1', () => socket.write(text));
        let out = '';
        socket.on('data', (d) => (out += d));
        socket.on('close', () => resolve(out.split('\r\n')[0]));
      });
    expect(await raw('GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw('GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    await client(server).next(is('hello'));
  });

  it('accepts WebSockets only at /ws', async () => {
    const server = await start();
    const bad = new (await import('ws')).WebSocket(`ws://127.0.0.1:${server.port}/other?token=${server.token}`);
    const err = await new Promise<Error>((r) => bad.on('error', r));
    expect(err.message).toMatch(/404/);
  });
});

describe('MetricsServer: messages', () => {
  it('sends hello, then history, then live point batches tagged with the run', async () => {
    const server = await start({ flushMs: 5 });
    const run = server.run({ id: 'gd', name: 'GD η=0.1', group: 'trace', config: { optimizer: 'sgd', lr: 0.1 }, live: { lr: { min: 0, minOpen: true } } });
    run.publish(fakeResult(1));
    const c = client(server);
    const hello = (await c.next(is('hello'))) as HelloMessage;
    expect(hello).toEqual({
      type: 'hello',
      protocol: 1,
      runs: [
        {
          id: 'gd',
          name: 'GD η=0.1',
          group: 'trace',
          config: { optimizer: 'sgd', lr: 0.1 },
          live: { lr: { min: 0, minOpen: true } },
          status: 'running',
          restartable: false,
          editable: {},
          overrides: {},
          points: 1,
        },
      ],
      limits: { maxMessageBytes: 4096, historyCap: 10_000, historyBudget: 200_000, maxFinishedRuns: 1_000, maxRuns: 64, controlsPerSecond: 10, controlBurst: 20 },
    });
    expect(c.messages[1]).toEqual({ type: 'history', run: 'gd', total: 1, stride: 1, points: [fakeResult(1)] });
    run.publish(fakeResult(2, { lr: NaN }));
    run.publish(fakeResult(3));
    const batch = (await c.next(is('points', 'gd'))) as PointsMessage;
    expect(batch).toEqual({ type: 'points', run: 'gd', missed: 0, points: [{ ...fakeResult(2), lr: null }, fakeResult(3)] });
    run.end('done');
    expect(((await c.next(is('run', 'gd'))) as RunMessage).run).toMatchObject({ status: 'done', points: 3 });
    expect(c.messages.map((m) => m.type)).toEqual(['hello', 'history', 'points', 'run']);
  });

  it('replays a late joiner a history thinned to the cap, ending with the latest point, then live points', async () => {
    const server = await start({ historyCap: 100, flushMs: 5 });
    const run = server.run({ id: 'long', name: 'long' });
    for (let i = 1; i <= 1000; i++) run.publish(fakeResult(i));
    const c = client(server);
    const history = (await c.next(is('history', 'long'))) as HistoryMessage;
    // 1000 points, cap 100: the stride doubles to 16 (1000/16 = 62.5 kept ≤ 100 < 1000/8 = 125).
    expect(history.total).toBe(1000);
    expect(history.stride).toBe(16);
    expect(history.points.map((p) => p.step)).toEqual([...Array.from({ length: 63 }, (_, k) => 1 + 16 * k), 1000]);
    run.publish(fakeResult(1001));
    expect(((await c.next(is('points', 'long'))) as PointsMessage).points.map((p) => p.step)).toEqual([1001]);
  });

  it('serves several runs on one server, each client getting every run', async () => {
    const server = await start({ flushMs: 5 });
    const a = server.run({ id: 'a', name: 'A' });
    const c = client(server);
    await c.next(is('hello'));
    const b = server.run({ id: 'b', name: 'B', group: 'airfoil' });
    expect(((await c.next(is('run', 'b'))) as RunMessage).run).toMatchObject({ id: 'b', group: 'airfoil', status: 'running' });
    a.publish(fakeResult(1));
    b.publish(fakeResult(7));
    await c.next(is('points', 'b'));
    await c.next(is('points', 'a'));
    expect(pointsOf(c, 'a').map((p) => p.step)).toEqual([1]);
    expect(pointsOf(c, 'b').map((p) => p.step)).toEqual([7]);
    expect(() => server.run({ id: 'a', name: 'again' })).toThrow('Expected `id` a run id not yet used on this server, got "a"');
  });

  it('exports every run as CSV', async () => {
    const server = await start();
    server.run({ id: 'a', name: 'A' }).publish(fakeResult(1));
    server.run({ id: 'b', name: 'B' }).publish(fakeResult(2, { info: { fullLoss: 0.25 } }));
    const rows = server.toCsv().trim().split('\n');
    expect(rows[0]).toBe('run,name,step,epoch,wallTime,loss,lr,gradNorm,updateNorm,size,examples,time,info.fullLoss');
    expect(rows.slice(1)).toEqual(['a,A,1,1,1700000000001,1,0.1,1,0.1,1,1,0.1,', 'b,B,2,1,1700000000002,0.5,0.1,1,0.1,1,2,0.1,0.25']);
  });
});

describe('MetricsServer: slow and dead clients', () => {
  it('coalesces a client that stops reading, within bounded memory, telling it what it missed; others get everything', async () => {
    const server = await start({ queueCap: 500, highWaterBytes: 64 * 1024, flushMs: 2, maxPointsPerSecond: Infinity });
    const run = server.run({ id: 'flood', name: 'flood' });
    const slow = client(server);
    const fast = client(server);
    await slow.next(is('history'));
    await fast.next(is('history'));
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const total = 60_000;
    let maxQueued = 0;
    let maxBuffered = 0;
    for (let i = 1; i <= total; i++) {
      run.publish(fakeResult(i, { info: { pad: i } }));
      if (i % 500 === 0) {
        await new Promise((r) => setTimeout(r, 3));
        const [s] = server.stats();
        maxQueued = Math.max(maxQueued, s.queued);
        maxBuffered = Math.max(maxBuffered, s.bufferedAmount);
      }
    }
    // The slow client's queue never exceeds its cap, and the socket buffer stays near the
    // high-water mark (plus at most one batch of ≤ 500 points of ~250 bytes).
    expect(maxQueued).toBeLessThanOrEqual(500);
    expect(maxBuffered).toBeLessThan(64 * 1024 + 500 * 300);
    expect(server.stats()[0].bufferedAmount).toBeGreaterThan(0);
    socket.resume();
    const received = () => pointsOf(slow, 'flood');
    await until(() => received().at(-1)?.step === total, 10_000);
    const batches = slow.messages.filter((m): m is PointsMessage => m.type === 'points');
    const missed = batches.reduce((s, b) => s + b.missed, 0);
    expect(missed).toBeGreaterThan(0);
    expect(received().length + missed).toBe(total);
    const steps = received().map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    await until(() => pointsOf(fast, 'flood').length === total, 10_000);
    expect(fast.messages.filter((m): m is PointsMessage => m.type === 'points').every((b) => b.missed === 0)).toBe(true);
  });

  it('bounds the points waiting while the training loop never yields, coalescing them for everyone', async () => {
    const server = await start({ queueCap: 500, flushMs: 1, maxPointsPerSecond: Infinity });
    const run = server.run({ id: 'sync', name: 'sync' });
    const c = client(server);
    await c.next(is('history'));
    for (let i = 1; i <= 10_000; i++) run.publish(fakeResult(i));
    const batch = (await c.next(is('points', 'sync'))) as PointsMessage;
    expect(batch.points.length).toBeLessThanOrEqual(500);
    expect(batch.points.length + batch.missed).toBe(10_000);
    expect(batch.points.at(-1)!.step).toBe(10_000);
  });

  it('sends at most maxPointsPerSecond live points per run, thinned uniformly, always the latest', async () => {
    // 100 points/s at a 50 ms flush: at most 5 points per batch.
    const server = await start({ flushMs: 50, maxPointsPerSecond: 100 });
    const run = server.run({ id: 'fast', name: 'fast' });
    const c = client(server);
    await c.next(is('history'));
    for (let i = 1; i <= 1000; i++) {
      run.publish(fakeResult(i));
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 60));
    }
    await until(() => pointsOf(c, 'fast').at(-1)?.step === 1000);
    const batches = c.messages.filter((m): m is PointsMessage => m.type === 'points');
    expect(batches.every((b) => b.points.length <= 5)).toBe(true);
    expect(batches.reduce((n, b) => n + b.points.length + b.missed, 0)).toBe(1000);
    // The history keeps every point up to its cap regardless.
    expect(run.points()).toHaveLength(1000);
  });

  it('drops a client that stops answering pings', async () => {
    const server = await start({ heartbeatMs: 50 });
    const dead = client(server, server.token, { autoPong: false });
    const alive = client(server);
    await dead.next(is('hello'));
    await alive.next(is('hello'));
    expect((await dead.closed).code).toBe(1006);
    await new Promise((r) => setTimeout(r, 120));
    expect(server.stats()).toHaveLength(1);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
  });

  it('closes every client (1001) on close', async () => {
    const server = await start();
    const c = client(server);
    await c.next(is('hello'));
    await server.close();
    expect((await c.closed).code).toBe(1001);
  });
});

describe('MetricsServer: control', () => {
  it('pauses, resumes, sets a live hyperparameter and stops a launched run, answering each', async () => {
    const server = await start({ flushMs: 5, maxPointsPerSecond: Infinity });
    const run = server.launch({ id: 'live', name: 'live', live: { lr: { min: 0, max: 10, minOpen: true } }, editable: { lr: 0.1 } }, fakeRun(1_000_000));
    const c = client(server);
    await c.next(is('points', 'live'));
    c.send({ type: 'pause', run: 'live', id: 1 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 1)).toEqual({ type: 'ack', id: 1, detail: 'paused live' });
    await new Promise((r) => setTimeout(r, 60));
    const at = run.info.points;
    await new Promise((r) => setTimeout(r, 100));
    expect(run.info).toMatchObject({ status: 'paused', points: at });
    c.send({ type: 'set', run: 'live', name: 'lr', value: 0.02, id: 2 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 2)).toEqual({ type: 'ack', id: 2, detail: 'lr = 0.02 for live' });
    c.send({ type: 'resume', run: 'live', id: 3 });
    await c.next((m) => m.type === 'ack' && m.id === 3);
    await until(() => pointsOf(c, 'live').some((p) => p.lr === 0.02));
    const lrs = pointsOf(c, 'live').map((p) => p.lr);
    // Every point before the override used 0.1, every one after 0.02 (applies from the next step on).
    const first = lrs.indexOf(0.02);
    expect(lrs.slice(0, first).every((v) => v === 0.1)).toBe(true);
    expect(lrs.slice(first).every((v) => v === 0.02)).toBe(true);
    expect(run.info.overrides).toEqual({ lr: 0.02 });
    c.send({ type: 'stop', run: 'live', id: 4 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 4)).toEqual({ type: 'ack', id: 4, detail: 'stopped live' });
    expect(((await c.next((m) => m.type === 'run' && m.run.id === 'live' && m.run.status === 'stopped')) as RunMessage).run.status).toBe('stopped');
    c.send({ type: 'resume', run: 'live', id: 5 });
    expect(((await c.next((m) => m.type === 'reject' && m.id === 5)) as RejectMessage).reason).toBe('Expected `run` a running or paused run, got run `live` (stopped)');
  });

  it('restarts a run with edited hyperparameters as a new run, and keeps the old one', async () => {
    const server = await start({ flushMs: 5, maxPointsPerSecond: Infinity });
    server.launch({ id: 'r', name: 'R', config: { optimizer: 'sgd', lr: 0.1 }, live: { lr: { min: 0, minOpen: true } }, editable: { lr: 0.1 } }, fakeRun(5));
    const c = client(server);
    await c.next((m) => m.type === 'run' && m.run.id === 'r' && m.run.status === 'done');
    c.send({ type: 'restart', run: 'r', hyper: { lr: 0.5 }, id: 'x' });
    expect(await c.next(is('ack'))).toEqual({ type: 'ack', id: 'x', detail: 'restarted as r~2' });
    const info = ((await c.next(is('run', 'r~2'))) as RunMessage).run;
    expect(info).toMatchObject({ id: 'r~2', name: 'R ↻2 (lr=0.5)', restartOf: 'r', config: { optimizer: 'sgd', lr: 0.5 }, editable: { lr: 0.5 }, restartable: true });
    await c.next((m) => m.type === 'run' && m.run.id === 'r~2' && m.run.status === 'done');
    expect(pointsOf(c, 'r~2').map((p) => p.lr)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
    c.send({ type: 'restart', run: 'r~2', hyper: { lr: 0.7 }, id: 'y' });
    expect(await c.next((m) => m.type === 'ack' && m.id === 'y')).toEqual({ type: 'ack', id: 'y', detail: 'restarted as r~3' });
    expect(((await c.next(is('run', 'r~3'))) as RunMessage).run.name).toBe('R ↻3 (lr=0.7)');
    expect(server.infos.map((i) => i.id)).toEqual(['r', 'r~2', 'r~3']);
  });

  it('rejects controls a run does not expose, values out of range, unknown runs, and restarting a plain run', async () => {
    const server = await start();
    server.launch({ id: 'r', name: 'R', live: { lr: { min: 0, max: 1, minOpen: true } }, editable: { lr: 0.1, momentum: 0.9 } }, fakeRun(1_000_000));
    server.run({ id: 'plain', name: 'plain' });
    const c = client(server);
    await c.next(is('hello'));
    const cases: [object, string][] = [
      [{ type: 'set', run: 'r', name: 'momentum', value: 0.5 }, 'Expected `name` one of the live hyperparameters (lr), got "momentum"'],
      [{ type: 'set', run: 'r', name: 'lr', value: 5 }, 'Expected `lr` in (0, 1], got 5'],
      [{ type: 'set', run: 'r', name: 'lr', value: 0 }, 'Expected `lr` in (0, 1], got 0'],
      [{ type: 'set', run: 'plain', name: 'lr', value: 0.1 }, 'Expected `name` a live hyperparameter (this run has none), got "lr"'],
      [{ type: 'restart', run: 'r', hyper: { beta: 0.5 } }, 'Expected `hyper.beta` absent (editable: lr, momentum), got 0.5'],
      [{ type: 'restart', run: 'r', hyper: { lr: -1 } }, 'Expected `hyper.lr` in (0, 1], got -1'],
      [{ type: 'restart', run: 'plain', hyper: {} }, 'Expected `run` a run started with launch (restartable), got run `plain`'],
      [{ type: 'resume', run: 'r' }, 'Expected `run` a paused run, got run `r` (running)'],
      [{ type: 'pause', run: 'nope' }, 'Expected `run` a run on this server (r, plain), got "nope"'],
    ];
    for (const [i, [msg, reason]] of cases.entries()) {
      c.send({ ...msg, id: i });
      expect(await c.next((m) => m.type === 'reject' && m.id === i)).toEqual({ type: 'reject', id: i, reason });
    }
  });

  it('ends a launched run whose start throws, or whose stream errors, with status error; the server goes on', async () => {
    const server = await start();
    server.launch({ id: 'throws', name: 'throws' }, () => {
      throw new Error('bad config');
    });
    server.launch({ id: 'errors', name: 'errors' }, () => new Observable<StepResult>((s) => s.error(new Error('diverged'))));
    expect(server.infos.map((i) => [i.id, i.status, i.error])).toEqual([
      ['throws', 'error', 'bad config'],
      ['errors', 'error', 'diverged'],
    ]);
    const c = client(server);
    expect(((await c.next(is('hello'))) as HelloMessage).runs).toHaveLength(2);
  });

  it('rejects 1,000 malformed messages with reasons while a real run trains on unharmed', async () => {
    // No rate limit here: every message reaches the schema check.
    const server = await start({ flushMs: 5, maxPointsPerSecond: Infinity, controlsPerSecond: Infinity });
    // GD on f = x1² + 2·x2² from (−5, −2), η = 0.0005, 2000 steps: x1 ← (1 − 2η)·x1, x2 ← (1 − 4η)·x2,
    // so x1 = −5·0.999²⁰⁰⁰ = −0.6759996, x2 = −2·0.998²⁰⁰⁰ = −0.0364849.
    const steps = 2000;
    const gd = (paused?: Observable<boolean>) => {
      const p = objective((x) => x.square().mul(tf.tensor1d([1, 2])).sum() as tf.Scalar, [-5, -2], { steps, yieldEveryMs: 0, paused });
      return p.steps.pipe(gradients(p.loss, p.params), learningRate(0.0005), optimize(sgd()), applyUpdates(p.params, { track: ['x'] }), finalize(() => p.dispose()));
    };
    const undisturbed: number[][] = [];
    await new Promise<void>((done) => gd().subscribe({ next: (r) => undisturbed.push([...r.values!.x]), complete: done }));
    server.launch({ id: 'gd', name: 'GD', live: { lr: { min: 0, minOpen: true } } }, (controls) => gd(controls.paused));
    const watcher = client(server);
    const attacker = client(server);
    await attacker.next(is('hello'));
    const bad: (string | Buffer)[] = [];
    for (let i = 0; i < 1000; i++) {
      const k = i % 10;
      bad.push(
        k === 0 ? `garbage ${i} {` :
        k === 1 ? JSON.stringify({ type: 'set', run: 'gd', name: 'lr', value: String(i) }) :
        k === 2 ? JSON.stringify({ type: 'set', run: 'gd', name: 'momentum', value: 0.9 }) :
        k === 3 ? JSON.stringify({ type: 'set', run: 'gd', name: 'lr', value: -i }) :
        k === 4 ? JSON.stringify({ type: 'pause', run: 'gd', extra: { nested: [i] } }) :
        k === 5 ? JSON.stringify({ type: 'pause', run: 'x'.repeat(5000) }) :
        k === 6 ? Buffer.from([0xde, 0xad, i & 0xff]) :
        k === 7 ? JSON.stringify({ type: 'restart', run: 'gd', hyper: { lr: 0.1 } }) :
        k === 8 ? JSON.stringify([{ type: 'stop', run: 'gd' }]) :
        JSON.stringify({ type: 'resume', run: 'gd', id: { evil: true } }),
      );
    }
    for (const m of bad) attacker.ws.send(m, { binary: typeof m !== 'string' });
    await until(() => attacker.messages.filter((m) => m.type === 'reject').length === 1000, 10_000);
    await watcher.next((m) => m.type === 'run' && m.run.id === 'gd' && m.run.status !== 'running', 20_000);
    expect(attacker.messages.filter((m) => m.type === 'ack')).toEqual([]);
    expect(attacker.messages.filter((m): m is RejectMessage => m.type === 'reject').every((m) => m.reason.startsWith('Expected'))).toBe(true);
    expect(server.stats().map((s) => s.rejected).sort()).toEqual([0, 1000]);
    expect(server.infos[0]).toMatchObject({ status: 'done', points: steps, overrides: {} });
    const received = [...((watcher.messages[1] as HistoryMessage).points), ...pointsOf(watcher, 'gd')];
    expect(received.map((p) => p.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    // Float32 rounding accumulates over 2000 steps: 1e-4 relative to the exact values.
    const [x1, x2] = received[steps - 1].values!.x;
    expect(Math.abs(x1 / -0.6759996 - 1)).toBeLessThan(1e-4);
    expect(Math.abs(x2 / -0.0364849 - 1)).toBeLessThan(1e-4);
    // And the trajectory is exactly the one of the same run with nobody attacking it.
    expect(received.map((p) => p.values!.x)).toEqual(undisturbed);
    expect(received.every((p) => p.lr === 0.0005)).toBe(true);
    expect(attacker.ws.readyState).toBe(attacker.ws.OPEN);
  });

  it('frees every tensor of a real run stopped from a client, and of one still running when the server closes', async () => {
    const before = tf.memory().numTensors;
    const server = await start({ flushMs: 5 });
    const gd = (controls: LiveControls) => {
      const p = objective((x) => x.square().mul(tf.tensor1d([1, 2])).sum() as tf.Scalar, [-5, -2], { steps: 1_000_000, yieldEveryMs: 1, paused: controls.paused });
      return p.steps.pipe(gradients(p.loss, p.params), learningRate(1e-6), optimize(sgd()), applyUpdates(p.params, { track: ['x'] }), finalize(() => p.dispose()));
    };
    const stopped = server.launch({ id: 'stopped', name: 'stopped' }, gd);
    server.launch({ id: 'paused', name: 'paused' }, gd);
    const c = client(server);
    await c.next(is('points', 'stopped'));
    c.send({ type: 'pause', run: 'paused', id: 1 });
    await c.next((m) => m.type === 'ack' && m.id === 1);
    c.send({ type: 'stop', run: 'stopped', id: 2 });
    await c.next((m) => m.type === 'run' && m.run.id === 'stopped' && m.run.status === 'stopped');
    expect(stopped.info.points).toBeGreaterThan(0);
    await server.close();
    expect(server.infos.map((i) => i.status)).toEqual(['stopped', 'stopped']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('closes a socket that sends a frame over 64 KiB (1009)', async () => {
    const server = await start();
    const c = client(server);
    await c.next(is('hello'));
    c.send('x'.repeat(70 * 1024));
    expect((await c.closed).code).toBe(1009);
  });
});

describe('MetricsServer: limits', () => {
  const answers = (c: TestClient) => c.messages.filter((m): m is AckMessage | RejectMessage => m.type === 'ack' || m.type === 'reject');

  it('survives a flood of 3,000 restarts of one run: each answered, one restart, bounded runs, history and welcome message', async () => {
    const server = await start({ flushMs: 5, maxRuns: 8, historyCap: 100, historyBudget: 500 });
    server.launch({ id: 'r', name: 'R', live: { lr: { min: 0, minOpen: true } }, editable: { lr: 0.1 } }, fakeRun(1_000_000));
    const attacker = client(server);
    await attacker.next(is('hello'));
    for (let i = 0; i < 3000; i++) attacker.send({ type: 'restart', run: 'r', hyper: { lr: 0.001 * (i + 1) }, id: i });
    await until(() => answers(attacker).length === 3000, 20_000);
    // Every message answered once, by its id; exactly one restart carried out.
    expect(answers(attacker).map((m) => m.id).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    const acks = answers(attacker).filter((m) => m.type === 'ack');
    expect(acks).toEqual([{ type: 'ack', id: 0, detail: 'restarted as r~2' }]);
    const reasons = new Set(answers(attacker).flatMap((m) => (m.type === 'reject' ? [m.reason.replace(/retry in \d+ ms/, 'retry in … ms')] : [])));
    expect(reasons).toEqual(
      new Set([
        'Expected `run` a run whose restart has ended (restart or stop `r~2`), got run `r`, restarted as `r~2` (running)',
        'Expected `message` at most 20 control messages at once, then 10 per second, got one more (retry in … ms)',
      ]),
    );
    expect(server.infos.map((i) => [i.id, i.status])).toEqual([['r', 'stopped'], ['r~2', 'running']]);
    const welcome = client(server);
    const hello = await welcome.next(is('hello'));
    expect(JSON.stringify(hello).length).toBeLessThan(2000);
    await welcome.next(is('history', 'r~2'));
    for (const m of welcome.messages.filter((m): m is HistoryMessage => m.type === 'history')) expect(m.points.length).toBeLessThanOrEqual(101);
  });

  it('bounds a chain of restarts (each of the newest run): one running, at most maxFinishedRuns finished listed, the oldest forgotten', async () => {
    const server = await start({ controlsPerSecond: Infinity, maxFinishedRuns: 3 });
    server.launch({ id: 'r', name: 'R', editable: { lr: 0.1 } }, fakeRun(1_000_000));
    const c = client(server);
    await c.next(is('hello'));
    let newest = 'r';
    for (let i = 0; i < 200; i++) {
      c.send({ type: 'restart', run: newest, hyper: { lr: 0.1 }, id: i });
      const ack = (await c.next((m) => m.type === 'ack' && m.id === i)) as AckMessage;
      newest = ack.detail.replace('restarted as ', '');
    }
    expect(newest).toBe('r~201');
    expect(server.infos.map((i) => [i.id, i.status])).toEqual([['r~198', 'stopped'], ['r~199', 'stopped'], ['r~200', 'stopped'], ['r~201', 'running']]);
    // The page was told to drop each forgotten run.
    await c.next((m) => m.type === 'run' && m.run.id === 'r~197' && m.run.removed === true);
    expect(c.messages.filter((m) => m.type === 'run' && m.run.removed).map((m) => (m as RunMessage).run.id)).toEqual(['r', ...Array.from({ length: 196 }, (_, k) => `r~${k + 2}`)]);
    const late = client(server);
    expect(JSON.stringify(await late.next(is('hello'))).length).toBeLessThan(3000);
    c.send({ type: 'pause', run: 'r~2', id: 'gone' });
    expect(((await c.next((m) => m.type === 'reject' && m.id === 'gone')) as RejectMessage).reason).toBe('Expected `run` a run on this server (r~198, r~199, r~200, r~201), got "r~2"');
  });

  it('refuses a restart while the previous restart of the same run is running, accepts it again once that one ended', async () => {
    const server = await start({ controlsPerSecond: Infinity });
    let release: (() => void) | undefined;
    // The first restart runs until released; later ones end at once.
    const held = (controls: LiveControls) =>
      controls.hyper ? new Observable<StepResult>((s) => (release ??= () => s.complete())) : fakeRun(3)(controls);
    server.launch({ id: 'r', name: 'R', editable: { lr: 0.1 } }, held);
    const c = client(server);
    await c.next((m) => m.type === 'run' && m.run.id === 'r' && m.run.status === 'done');
    c.send({ type: 'restart', run: 'r', hyper: { lr: 0.2 }, id: 1 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 1)).toMatchObject({ detail: 'restarted as r~2' });
    c.send({ type: 'restart', run: 'r', hyper: { lr: 0.3 }, id: 2 });
    expect(await c.next((m) => m.type === 'reject' && m.id === 2)).toEqual({
      type: 'reject',
      id: 2,
      reason: 'Expected `run` a run whose restart has ended (restart or stop `r~2`), got run `r`, restarted as `r~2` (running)',
    });
    release!();
    await c.next((m) => m.type === 'run' && m.run.id === 'r~2' && m.run.status === 'done');
    c.send({ type: 'restart', run: 'r', hyper: { lr: 0.3 }, id: 3 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 3)).toMatchObject({ detail: 'restarted as r~3' });
  });

  it('refuses a restart of a run while it is being restarted (a restart started from within the restart)', async () => {
    const server = await start({ controlsPerSecond: Infinity });
    let nested: string | undefined;
    const first: RunChannel = server.launch({ id: 'r', name: 'R', editable: { lr: 0.1 } }, (controls) => {
      if (controls.hyper) {
        try {
          first.control({ type: 'restart', run: 'r', hyper: { lr: 0.3 } });
        } catch (err) {
          nested = (err as Error).message;
        }
      }
      return fakeRun(3)(controls);
    });
    expect(first.control({ type: 'restart', run: 'r', hyper: { lr: 0.2 } })).toBe('restarted as r~2');
    expect(nested).toBe('Expected `run` a run not being restarted, got run `r`');
    expect(server.infos.map((i) => i.id)).toEqual(['r', 'r~2']);
  });

  it('caps running runs: run/launch beyond maxRuns throw, a restart beyond it is rejected, restarting a running run takes its place', async () => {
    const server = await start({ maxRuns: 2, controlsPerSecond: Infinity });
    server.launch({ id: 'done', name: 'done', editable: { lr: 0.1 } }, fakeRun(2));
    await until(() => server.infos[0].status === 'done');
    server.launch({ id: 'a', name: 'A', editable: { lr: 0.1 } }, fakeRun(1_000_000));
    server.run({ id: 'b', name: 'B' });
    expect(() => server.run({ id: 'c', name: 'C' })).toThrow('Expected `run` at most 2 running runs on this server (option maxRuns), got run `c` beyond them');
    expect(() => server.launch({ id: 'c', name: 'C' }, fakeRun(1))).toThrow('at most 2 running runs');
    const c = client(server);
    await c.next(is('hello'));
    c.send({ type: 'restart', run: 'done', hyper: {}, id: 1 });
    expect(await c.next((m) => m.type === 'reject' && m.id === 1)).toEqual({ type: 'reject', id: 1, reason: 'Expected `run` at most 2 running runs on this server (stop one first), got run `done`' });
    c.send({ type: 'restart', run: 'a', hyper: { lr: 0.5 }, id: 2 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 2)).toMatchObject({ detail: 'restarted as a~2' });
    expect(server.infos.map((i) => [i.id, i.status])).toEqual([['done', 'done'], ['a', 'stopped'], ['b', 'running'], ['a~2', 'running']]);
  });

  it('rate-limits control messages per client: a burst, then controlsPerSecond, the excess rejected with a reason', async () => {
    const server = await start({ controlsPerSecond: 20, controlBurst: 5 });
    server.run({ id: 'r', name: 'R' });
    const c = client(server);
    const other = client(server);
    await c.next(is('hello'));
    await other.next(is('hello'));
    for (let i = 0; i < 10; i++) c.send({ type: i % 2 ? 'resume' : 'pause', run: 'r', id: i });
    await until(() => answers(c).length === 10);
    expect(answers(c).map((m) => m.type)).toEqual(['ack', 'ack', 'ack', 'ack', 'ack', 'reject', 'reject', 'reject', 'reject', 'reject']);
    expect((answers(c)[5] as RejectMessage).reason).toMatch(/^Expected `message` at most 5 control messages at once, then 20 per second, got one more \(retry in \d+ ms\)$/);
    // Another client has its own budget.
    other.send({ type: 'resume', run: 'r', id: 'o' });
    expect(await other.next((m) => m.type === 'ack' && m.id === 'o')).toEqual({ type: 'ack', id: 'o', detail: 'resumed r' });
    // 20 per second: a token every 50 ms.
    await new Promise((r) => setTimeout(r, 60));
    c.send({ type: 'pause', run: 'r', id: 'later' });
    expect(await c.next((m) => 'id' in m && m.id === 'later')).toEqual({ type: 'ack', id: 'later', detail: 'paused r' });
    expect(server.stats().map((s) => s.rejected)).toEqual([5, 0]);
  });

  it('evicts the histories of the oldest finished runs beyond historyBudget, saying so, and never a running run', async () => {
    const server = await start({ flushMs: 1, historyBudget: 100 });
    const runs = ['a', 'b', 'c'].map((id) => server.run({ id, name: id }));
    const running = server.run({ id: 'live', name: 'live' });
    for (const r of [...runs, running]) for (let i = 1; i <= 60; i++) r.publish(fakeResult(i));
    const watcher = client(server);
    await watcher.next(is('hello'));
    runs[1].end('done');
    runs[0].end('stopped');
    // b (60 kept) fits; a ends second: 120 > 100, so b (the oldest finished) goes.
    expect(((await watcher.next((m) => m.type === 'run' && m.run.id === 'b' && m.run.evicted === true)) as RunMessage).run).toMatchObject({ status: 'done', points: 60, evicted: true });
    runs[2].end('error', new Error('x'));
    await watcher.next((m) => m.type === 'run' && m.run.id === 'a' && m.run.evicted === true);
    expect(server.infos.map((i) => [i.id, i.evicted ?? false])).toEqual([['a', true], ['b', true], ['c', false], ['live', false]]);
    const late = client(server);
    expect(((await late.next(is('hello'))) as HelloMessage).runs.map((r) => r.evicted ?? false)).toEqual([true, true, false, false]);
    expect(await late.next(is('history', 'a'))).toEqual({ type: 'history', run: 'a', total: 60, stride: 0, points: [], evicted: true });
    expect(((await late.next(is('history', 'c'))) as HistoryMessage).points).toHaveLength(60);
    expect(((await late.next(is('history', 'live'))) as HistoryMessage).points).toHaveLength(60);
    expect(() => running.evict()).toThrow('Expected `run` an ended run (a running run keeps its history), got run `live` (running)');
  });

  it('rejects set and restart for names that are only inherited (constructor, toString, __proto__, hasOwnProperty), before any override', async () => {
    const server = await start({ controlsPerSecond: Infinity });
    const run = server.launch({ id: 'r', name: 'R', live: { lr: { min: 0, minOpen: true } }, editable: { lr: 0.1 } }, fakeRun(1_000_000));
    const c = client(server);
    await c.next(is('hello'));
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
    for (const [i, name] of names.entries()) {
      c.send(`{"type":"set","run":"r","name":"${name}","value":1,"id":${i}}`);
      expect(await c.next((m) => m.type === 'reject' && m.id === i)).toEqual({ type: 'reject', id: i, reason: `Expected \`name\` one of the live hyperparameters (lr), got "${name}"` });
      c.send(`{"type":"restart","run":"r","hyper":{"${name}":1},"id":"h${i}"}`);
      expect(await c.next((m) => m.type === 'reject' && m.id === `h${i}`)).toEqual({ type: 'reject', id: `h${i}`, reason: `Expected \`hyper.${name}\` absent (editable: lr), got 1` });
    }
    c.send({ type: 'pause', run: 'constructor', id: 'run' });
    expect(((await c.next((m) => m.type === 'reject' && m.id === 'run')) as RejectMessage).reason).toBe('Expected `run` a run on this server (r), got "constructor"');
    expect(run.info.overrides).toEqual({});
    expect(Object.keys(run.live)).toEqual(['lr']);
    expect(run.live.constructor).toBeUndefined();
    expect(c.messages.filter((m) => m.type === 'run')).toEqual([]);
    expect(server.infos.map((i) => i.id)).toEqual(['r']);
  });

  it('routes a registered message type to its handler: ack with its detail, reject with what it throws, rate-limited unless told', async () => {
    const server = await start({ controlsPerSecond: 1, controlBurst: 1 });
    const notes: string[] = [];
    server.handle('note', (m) => {
      if (typeof m.text !== 'string') throw new RxgradError('text', 'a string', m.text);
      notes.push(m.text);
      return `noted ${notes.length}`;
    }, { limited: false });
    expect(() => server.handle('note', () => '')).toThrow('Expected `type` a new message type (a lowercase word, not a built-in control), got "note"');
    expect(() => server.handle('set', () => '')).toThrow('not a built-in control');
    const c = client(server);
    await c.next(is('hello'));
    for (let i = 0; i < 5; i++) c.send({ type: 'note', text: `n${i}`, id: i });
    c.send({ type: 'note', text: 7, id: 'bad' });
    await until(() => answers(c).length === 6);
    expect(answers(c).slice(0, 5).map((m) => m.type === 'ack' && m.detail)).toEqual(['noted 1', 'noted 2', 'noted 3', 'noted 4', 'noted 5']);
    expect(answers(c)[5]).toEqual({ type: 'reject', id: 'bad', reason: 'Expected `text` a string, got 7' });
    c.send({ type: 'jump', id: 'j' });
    expect(await c.next((m) => 'id' in m && m.id === 'j')).toEqual({ type: 'reject', id: 'j', reason: 'Expected `type` one of pause, resume, stop, set, restart, optimizer, note, got "jump"' });
  });
});

describe('MetricsServer: page and wsMetrics(options)', () => {
  it('serves the static page directory and nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-page-'));
    writeFileSync(join(dir, 'index.html'), '<title>dash</title>');
    const server = await start({ staticDir: dir });
    expect(await get(server, `/?token=${server.token}`)).toEqual({ status: 200, body: '<title>dash</title>' });
    expect((await get(server, '/..%2fpackage.json')).status).toBe(403);
    rmSync(dir, { recursive: true, force: true });
  });

  it('wsMetrics(options) runs its own server for the stream and closes it at the end', async () => {
    let server: MetricsServer | undefined;
    let c: TestClient | undefined;
    const results: number[] = [];
    await new Promise<void>((done) => {
      new Observable<StepResult>((s) => {
        let i = 0;
        const timer = setInterval(() => {
          if (c && c.messages.length > 0) {
            s.next(fakeResult(++i));
            if (i === 3) s.complete();
          }
        }, 5);
        return () => clearInterval(timer);
      })
        .pipe(wsMetrics({ flushMs: 1, run: { id: 'solo', name: 'Solo' }, onListening: (srv) => ((server = srv), (c = client(srv))) }))
        .subscribe({ next: (r) => results.push(r.step), complete: done });
    });
    expect(results).toEqual([1, 2, 3]);
    expect(server!.infos).toMatchObject([{ id: 'solo', name: 'Solo', status: 'done' }]);
    expect((await c!.closed).code).toBe(1001);
  });

  it('wsMetrics(options) errors the stream when its port is taken, also with a synchronous source that never runs', async () => {
    const taken = await start();
    let produced = 0;
    const source = new Observable<StepResult>((s) => {
      for (let i = 1; i <= 3; i++) s.next(fakeResult((produced = i)));
      s.complete();
    });
    const outcome = await new Promise<{ error?: Error; values: number }>((resolve) => {
      let values = 0;
      source.pipe(wsMetrics({ port: taken.port })).subscribe({
        next: () => (values += 1),
        error: (error) => resolve({ error, values }),
        complete: () => resolve({ values }),
      });
    });
    expect(outcome.error?.message).toMatch(/EADDRINUSE/);
    expect(outcome.values).toBe(0);
    expect(produced).toBe(0);
  });

  it('wsMetrics(options) unsubscribed before its server listens never subscribes the source and leaves nothing listening', async () => {
    const probe = await start();
    const port = probe.port;
    await probe.close();
    let subscribed = 0;
    let listened = false;
    const source = new Observable<StepResult>(() => void (subscribed += 1));
    source.pipe(wsMetrics({ port, host: 'localhost', onListening: () => (listened = true) })).subscribe().unsubscribe();
    await new Promise((r) => setTimeout(r, 100));
    expect(subscribed).toBe(0);
    expect(listened).toBe(false);
    // The port is free again: the server closed although it was still binding (looking up localhost) when unsubscribed.
    const again = await start({ port, host: 'localhost' });
    expect(again.port).toBe(port);
  });
});
