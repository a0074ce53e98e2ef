import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { produce } from '../../demo/produce';
import { elec2Ingest, elec2Replay, onlineRuns } from '../../demo/onlineRuns';
import { experiments, collect } from '../../demo/experiments';
import type { Experiment } from '../../demo/Experiment';
import { startDemo, type RunningDemo } from '../../demo/startDemo';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { metricsServer, type MetricsServer } from '../../streams/sinks/MetricsServer';
import type { RunInfo, ServerMessage } from '../../streams/sinks/protocol';
import { elec2 } from '../../streams/sources/elec2';
import type { StepResult } from '../../streams/Step';
import { connect, type TestClient } from '../sinks/wsClient';

const TOKEN = 'online-runs-token';
const ELEC2 = elec2();

/** The first `n` rows of Elec2. */
function prefix(n: number): ExampleTable {
  return { n, d: ELEC2.d, xs: ELEC2.xs.slice(0, n * ELEC2.d), ys: ELEC2.ys.slice(0, n) };
}

/**
 * Elec2's first 2n rows of features with a made-up concept: the label is "second half of the
 * day" (feature 0, the period, > 0.5) for the first n rows, its opposite after: a drift at row n.
 */
function flippedConcept(n: number): ExampleTable {
  const t = prefix(2 * n);
  for (let i = 0; i < 2 * n; i++) t.ys[i] = (t.xs[i * t.d] > 0.5) !== (i >= n) ? 1 : 0;
  return t;
}

/** The baselines' accuracy counted by hand over the labels (the same semantics as test/demo/online.test.ts). */
function baselineAccuracy(ys: ArrayLike<number>): { noChange: number; majority: number } {
  const n = ys.length;
  // No change: the first row is predicted 0 (no label yet), row i > 0 the label of row i − 1.
  let same = ys[0] === 0 ? 1 : 0;
  for (let i = 1; i < n; i++) if (ys[i] === ys[i - 1]) same++;
  // Majority so far: the more frequent label among rows 0 … i − 1 (0 on ties).
  let right = 0;
  const counts = [0, 0];
  for (let i = 0; i < n; i++) {
    if ((counts[1] > counts[0] ? 1 : 0) === ys[i]) right++;
    counts[ys[i]]++;
  }
  return { noChange: same / n, majority: right / n };
}

/** Launch an experiment as `npm start` does (demo/main.ts): live lr, the server in the controls. */
function launch(server: MetricsServer, e: Experiment) {
  return server.launch(
    { id: e.id, name: e.name, group: e.group, config: e.config, live: { lr: { min: 0, max: 100, minOpen: true } }, editable: { lr: 1 } },
    (c) => e.run({ paused: c.paused, lr: c.lr, hyper: c.hyper, server }),
  );
}

/** Every point of `run` a client got (history and live batches), in order. */
function pointsOf(client: TestClient, run: string): StepResult[] {
  return client.messages.flatMap((m) => ((m.type === 'points' || m.type === 'history') && m.run === run ? m.points : []));
}

const isRun = (id: string, status?: RunInfo['status']) => (m: ServerMessage) => m.type === 'run' && m.run.id === id && (status === undefined || m.run.status === status);
const isAck = (id: number) => (m: ServerMessage) => (m.type === 'ack' || m.type === 'reject') && m.id === id;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const published = (server: MetricsServer, id: string) => server.infos.find((r) => r.id === id)!.points;

let server: MetricsServer | undefined;
let demo: RunningDemo | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await demo?.stop();
  demo = undefined;
});

describe('npm start: the online runs', () => {
  it('are in npm start\'s experiments, group online, with ids --only can pick', () => {
    expect(onlineRuns.map((e) => e.id)).toEqual(['online-elec2-replay', 'online-elec2-ingest']);
    for (const e of onlineRuns) {
      expect(experiments).toContain(e);
      expect(e.group).toBe('online');
    }
  });

  it('Elec2 replayed reaches a real client with test-then-train metrics, baselines, ingest counters and drift events; lr and pause work', async () => {
    const n = 300;
    const table = flippedConcept(n);
    // lr 0.1: slow enough to keep erring after the flip, so ADWIN (δ 0.002) sees it.
    const e = elec2Replay({ rate: 400, batchSize: 1, lr: 0.1, table });
    // Every point to the client (by default a burst beyond 500 points/s is thinned, and a thinned point's drift event with it).
    server = await metricsServer({ token: TOKEN, staticDir: null, maxPointsPerSecond: Infinity });
    const client = connect(server.port, TOKEN);
    await client.next((m) => m.type === 'hello');
    launch(server, e);
    await client.next((m) => m.type === 'points' && m.run === e.id);
    client.send({ type: 'set', run: e.id, name: 'lr', value: 0.05, id: 1 });
    expect(await client.next(isAck(1))).toMatchObject({ type: 'ack' });
    client.send({ type: 'pause', run: e.id, id: 2 });
    await client.next(isAck(2));
    await sleep(50);
    const held = published(server, e.id);
    await sleep(300);
    expect(published(server, e.id)).toBe(held);
    expect(held).toBeLessThan(2 * n);
    client.send({ type: 'resume', run: e.id, id: 3 });
    await client.next(isRun(e.id, 'done'), 10_000);
    await sleep(100); // the last batch of points

    const points = pointsOf(client, e.id);
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
    const last = points.at(-1)!;
    expect(last.examples).toBe(2 * n);
    expect(Object.keys(last.online!.metrics!).sort()).toEqual(['accuracy', 'logLoss', 'rolling.accuracy']);
    // The baselines against a hand count over the table's labels.
    const hand = baselineAccuracy(table.ys);
    expect(last.online!.baselines!.noChange.accuracy).toBeCloseTo(hand.noChange, 12);
    expect(last.online!.baselines!.majority.accuracy).toBeCloseTo(hand.majority, 12);
    expect(last.online!.ingest).toMatchObject({ received: 2 * n, trained: 2 * n, dropped: 0, rejected: 0 });
    // The concept flips at row n: ADWIN finds it after the flip, and the event reaches the client.
    const events = points.flatMap((p) => p.online?.driftEvents ?? []).filter((d) => d.status === 'drift');
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((d) => d.detector === 'adwin' && d.examples > n)).toBe(true);
    expect(last.online!.drifts).toBeGreaterThanOrEqual(events.length);
    // The live lr: 0.1 before the slider moved, 0.05 from the next step on.
    expect(points[0].lr).toBe(0.1);
    expect(last.lr).toBe(0.05);
    expect(last.info['override.lr']).toBe(0.05);
    client.ws.close();
  });

  it('leaks no tensor when stopped from the dashboard, or when the server closes', async () => {
    const e = elec2Replay({ rate: 1000, batchSize: 1, lr: 1, table: prefix(5000) });
    const before = tf.memory().numTensors;
    server = await metricsServer({ token: TOKEN, staticDir: null });
    const client = connect(server.port, TOKEN);
    await client.next((m) => m.type === 'hello');
    launch(server, e);
    await client.next((m) => m.type === 'points' && m.run === e.id);
    client.send({ type: 'stop', run: e.id, id: 1 });
    await client.next(isRun(e.id, 'stopped'));
    expect(tf.memory().numTensors).toBe(before);

    launch(server, elec2Ingest({ ingestId: 'leak', batchSize: 1, capacity: 100, lr: 1 }));
    await produce({ url: server.url, run: 'leak', limit: 50 });
    await server.close();
    server = undefined;
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the live run waits without a producer, trains on what produce.ts sends over a real WebSocket, and keeps its endpoint across a restart', async () => {
    const e = elec2Ingest({ ingestId: 'elec2', batchSize: 1, capacity: 100, lr: 1 });
    server = await metricsServer({ token: TOKEN, staticDir: null });
    const client = connect(server.port, TOKEN);
    await client.next((m) => m.type === 'hello');
    launch(server, e);
    await sleep(200);
    // Waiting: running, no point.
    expect(server.infos.find((r) => r.id === e.id)).toMatchObject({ status: 'running', points: 0 });

    const n = 400;
    // A queue of 100 and a window of 2 messages of 25: the producer is paced by the withheld acks.
    const report = await produce({ url: server.url, limit: n, window: 2 });
    expect(report).toMatchObject({ examples: n, rejected: 0 });
    const done = (m: ServerMessage) => m.type === 'points' && m.run === e.id && m.points.some((p) => p.online?.ingest?.trained === n);
    await client.next(done);
    const last = pointsOf(client, e.id).at(-1)!;
    expect(last.examples).toBe(n);
    expect(last.online!.ingest).toMatchObject({ received: n, trained: n, queued: 0, dropped: 0, rejected: 0 });
    expect(last.online!.ingest!.lag).toBe(0);
    // In order, one example per step: the baselines score exactly what a hand count over Elec2's first n labels gives.
    const hand = baselineAccuracy(ELEC2.ys.subarray(0, n));
    expect(last.online!.baselines!.noChange.accuracy).toBeCloseTo(hand.noChange, 12);
    expect(last.online!.baselines!.majority.accuracy).toBeCloseTo(hand.majority, 12);
    expect(last.online!.metrics!.accuracy).toBeGreaterThan(0.7);

    // A restart from the dashboard trains afresh on the same ingest id.
    client.send({ type: 'restart', run: e.id, hyper: { lr: 0.5 }, id: 7 });
    const ack = await client.next(isAck(7));
    expect(ack.type).toBe('ack');
    const restarted = `${e.id}~2`;
    await produce({ url: server.url, limit: 50 });
    await client.next((m) => m.type === 'points' && m.run === restarted && m.points.some((p) => p.online?.ingest?.trained === 50));
    expect(pointsOf(client, restarted).at(-1)!.lr).toBe(0.5);
    client.ws.close();
  });

  it('the live run fixes its width and classes from the model: a bad first example or label is rejected and counted, the good ones after it train', async () => {
    const e = elec2Ingest({ ingestId: 'elec2', batchSize: 1, capacity: 100, lr: 1 });
    server = await metricsServer({ token: TOKEN, staticDir: null });
    const client = connect(server.port, TOKEN);
    await client.next((m) => m.type === 'hello');
    launch(server, e);
    // Five features instead of six, then a label 7 for a binary model: both rejected, neither taken as the run's shape.
    client.send({ type: 'examples', run: 'elec2', id: 1, examples: [{ x: [0.1, 0.2, 0.3, 0.4, 0.5], y: 1 }] });
    await client.next(isAck(1));
    client.send({ type: 'examples', run: 'elec2', id: 2, examples: [{ x: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], y: 7 }] });
    await client.next(isAck(2));
    const report = await produce({ url: server.url, limit: 20 });
    expect(report).toMatchObject({ examples: 20, rejected: 0 });
    await client.next((m) => m.type === 'points' && m.run === e.id && m.points.some((p) => p.online?.ingest?.trained === 20));
    expect(pointsOf(client, e.id).at(-1)!.online!.ingest).toMatchObject({ trained: 20, rejected: 2 });
    client.ws.close();
  });

  it("the dashboard's pause holds the live run: its queue fills, the producer waits for its acks, resume trains the rest", async () => {
    const e = elec2Ingest({ ingestId: 'elec2', batchSize: 1, capacity: 100, lr: 1 });
    server = await metricsServer({ token: TOKEN, staticDir: null });
    const client = connect(server.port, TOKEN);
    await client.next((m) => m.type === 'hello');
    launch(server, e);
    client.send({ type: 'pause', run: e.id, id: 1 });
    await client.next(isAck(1));
    let produced = false;
    const producing = produce({ url: server.url, limit: 300 }).then((r) => ((produced = true), r));
    await sleep(400);
    expect(published(server, e.id)).toBe(0);
    expect(produced).toBe(false);
    client.send({ type: 'resume', run: e.id, id: 2 });
    expect(await producing).toMatchObject({ examples: 300, rejected: 0 });
    await client.next((m) => m.type === 'points' && m.run === e.id && m.points.some((p) => p.online?.ingest?.trained === 300));
    client.ws.close();
  });

  it('the live run fails, naming the missing server, when run without one', async () => {
    const e = elec2Ingest({ ingestId: 'elec2', batchSize: 1, capacity: 100, lr: 1 });
    await expect(collect(e.run())).rejects.toThrow(/server/);
  });

  it('npm start -- --only online: both runs on the page, the producer command printed, and it feeds the live run', async () => {
    demo = await startDemo(['--port', '0', '--token', TOKEN, '--only', 'online']);
    const port = Number(new URL(demo.url).port);
    const client = connect(port, TOKEN);
    const hello = await client.next((m) => m.type === 'hello', 20_000);
    expect(hello.type === 'hello' && hello.runs.map((r) => r.id)).toEqual(['online-elec2-replay', 'online-elec2-ingest']);
    const replayed = (await client.next((m) => m.type === 'points' && m.run === 'online-elec2-replay', 20_000)) as Extract<ServerMessage, { type: 'points' }>;
    expect(replayed.points[0].online?.metrics?.accuracy).toBeTypeOf('number');
    // The command it printed, with the address and token: run here through produce().
    const printed = await waitFor(() => demo!.output().match(/in another terminal: npx tsx demo\/produce\.ts '(\S+)'/)?.[1]);
    expect(printed).toBe(demo.url);
    await produce({ url: printed, limit: 30 });
    await client.next((m) => m.type === 'points' && m.run === 'online-elec2-ingest' && m.points.some((p) => p.online?.ingest?.trained === 30), 10_000);
    client.ws.close();
    expect(await demo.stop()).toBe(0);
    demo = undefined;
  }, 60_000);
});

/** Poll `read` until it gives a value (5 s at most). */
async function waitFor<T>(read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = read();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error('timed out');
}
