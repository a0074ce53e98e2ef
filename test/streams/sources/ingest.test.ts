import { afterEach, describe, expect, it } from 'vitest';
import { asyncScheduler, BehaviorSubject, map, take, toArray, lastValueFrom, type Subscription } from 'rxjs';
import { ingest } from '../../../streams/sources/ingest';
import { metricsServer, type MessageHandler, type MetricsServer } from '../../../streams/sinks/MetricsServer';
import type { CustomMessage } from '../../../streams/sinks/parseControlMessage';
import type { Step } from '../../../streams/Step';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { connect, type TestClient } from '../../sinks/wsClient';
import { expectNoLeak, marbles } from '../../helpers';
import { RxgradError, shown } from '../../../src/RxgradError';

const firsts = (s: Step<ExampleBatch>) => Array.from({ length: s.batch.n }, (_, i) => s.batch.x[i * s.batch.d]);
const ex = (v: number) => ({ x: [v, 1], y: v % 2, id: v });
const exs = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ex(from + i));

/** A stand-in for MetricsServer.handle: the handlers, called directly (virtual time in marbles). */
function fakeServer() {
  const handlers = new Map<string, MessageHandler>();
  const server = { handle: (type: string, h: MessageHandler) => void handlers.set(type, h) } as unknown as MetricsServer;
  const send = (m: object) => handlers.get((m as { type: string }).type)!(m as CustomMessage);
  return { server, send };
}

describe('ingest (marbles, handlers called directly)', () => {
  it('turns example messages into steps with counted rejects; early unsubscribe ends it', () => {
    marbles().run(({ cold, expectObservable }) => {
      const { server, send } = fakeServer();
      const { steps } = ingest(server, 'live', { batchSize: 3, scheduler: asyncScheduler });
      const answers: unknown[] = [];
      cold('-a-b-c', {
        a: { type: 'examples', run: 'live', examples: exs(1, 3) },
        b: { type: 'examples', run: 'live', examples: [ex(3), { x: [1, null] }, ex(4)] },
        c: { type: 'examples', run: 'live', examples: exs(5, 7) },
      }).subscribe((m) => answers.push(send(m)));
      expectObservable(steps.pipe(map((s) => [firsts(s), s.online!.ingest!.rejected])), '^------!').toBe('---x-y', { x: [[1, 2, 3], 1], y: [[4, 5, 6], 1] });
      cold('-------|').subscribe({ complete: () => expect(answers).toEqual(['2 received: 2 queued', '3 received: 2 queued, 1 rejected (last: Expected `x[1]` a finite number, got null)', '2 received: 2 queued']) });
    });
  });

  it('errors a second subscription while the first trains; stopping it frees the run id’s sink', () => {
    marbles().run(({ expectObservable }) => {
      const { server, send } = fakeServer();
      const { steps } = ingest(server, 'live', { batchSize: 1, scheduler: asyncScheduler });
      expectObservable(steps, '^--!').toBe('');
      expectObservable(steps).toBe('#', undefined, new RxgradError('steps', 'one subscription at a time (this run is already training)', shown('a second subscription')));
      expect(() => send({ type: 'examples', run: 'live', examples: [ex(1)] })).toThrow('Expected `run` a run that is training');
    });
  });
});

describe('ingest over the WebSocket', () => {
  let server: MetricsServer;
  let client: TestClient;
  let sub: Subscription | undefined;
  afterEach(async () => {
    sub?.unsubscribe();
    sub = undefined;
    client?.ws.close();
    await server?.close();
  });
  const start = async (options: Parameters<typeof metricsServer>[0] = {}) => {
    server = await metricsServer({ token: 'test-token-123', staticDir: null, ...options });
    client = connect(server.port, 'test-token-123');
    await client.next((m) => m.type === 'hello');
  };
  const answer = (id: number) => client.next((m) => (m.type === 'ack' || m.type === 'reject') && m.id === id);

  it('feeds a live run: acks with counts, bad input rejected with reasons while the run continues', async () => {
    await start({ maxMessageBytes: 8192 });
    const { steps } = ingest(server, 'live', { batchSize: 4, maxWaitMs: 20 });
    const got: number[] = [];
    let last: Step<ExampleBatch> | undefined;
    sub = steps.subscribe((s) => {
      got.push(...firsts(s));
      last = s;
    });
    client.send({ type: 'examples', run: 'live', id: 1, examples: exs(0, 4) });
    expect(await answer(1)).toEqual({ type: 'ack', id: 1, detail: '4 received: 4 queued' });
    client.send({ type: 'examples', run: 'live', id: 2, examples: [ex(4), { x: [1] }, { x: ['a', 1] }, ex(5)] });
    expect(await answer(2)).toEqual({ type: 'ack', id: 2, detail: '4 received: 2 queued, 2 rejected (last: Expected `x[0]` a finite number, got "a")' });
    // whole messages refused: malformed JSON, oversize, schema, unknown run
    client.send('{"type":"examples",');
    client.send({ type: 'examples', run: 'live', id: 3, examples: exs(0, 400) });
    // too big to be read: the answer cannot echo its id
    expect(await client.next((m) => m.type === 'reject' && m.reason.startsWith('Expected a message'))).toMatchObject({
      reason: expect.stringMatching(/^Expected a message of ≤ 8192 bytes, got \d+ bytes$/),
    });
    client.send({ type: 'examples', run: 'live', id: 4, examples: [] });
    expect(await answer(4)).toEqual({ type: 'reject', id: 4, reason: 'Expected `examples` an array of 1–1000 items, got 0 items' });
    client.send({ type: 'examples', run: 'nope', id: 5, examples: [ex(1)] });
    expect(await answer(5)).toEqual({ type: 'reject', id: 5, reason: 'Expected `run` a run taking examples on this server (live), got "nope"' });
    client.send({ type: 'examples', run: 'live', id: 6, examples: [ex(1)], extra: 1 });
    expect(await answer(6)).toMatchObject({ type: 'reject', reason: 'Expected `extra` absent (an examples message has type, run, id, examples), got it' });
    // the run goes on
    client.send({ type: 'examples', run: 'live', id: 7, examples: exs(6, 8) });
    await answer(7);
    await new Promise((r) => setTimeout(r, 60));
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // refused messages naming the run (ids 4 and 6) count as rejected inputs of it; the others name no run it has
    expect(last!.online!.ingest).toMatchObject({
      received: 12,
      trained: 8,
      rejected: 4,
      queued: 0,
      lastReason: 'Expected `extra` absent (an examples message has type, run, id, examples), got it',
    });
    expect(client.messages.some((m) => m.type === 'reject' && m.reason.startsWith('Expected JSON'))).toBe(true);
  });

  it('passes labels on as a stream, checked', async () => {
    await start();
    const { labels } = ingest(server, 'live', { batchSize: 1 });
    const got = lastValueFrom(labels.pipe(take(2), toArray()));
    client.send({ type: 'labels', run: 'live', id: 1, labels: [{ id: 'a', y: 1 }, { id: 7, y: 0 }] });
    expect(await answer(1)).toEqual({ type: 'ack', id: 1, detail: '2 labels received' });
    expect(await got).toEqual([{ id: 'a', y: 1 }, { id: 7, y: 0 }]);
    client.send({ type: 'labels', run: 'live', id: 2, labels: [{ id: 'a', y: 'up' }] });
    expect(await answer(2)).toEqual({ type: 'reject', id: 2, reason: 'Expected `labels[0].y` a finite number, got "up"' });
  });

  it('block: withholds acks while the queue is full, rejects beyond the waiting messages, loses nothing', async () => {
    await start();
    const paused = new BehaviorSubject(true);
    const { steps } = ingest(server, 'live', { batchSize: 5, queue: { capacity: 10, policy: 'block' }, maxWaitingMessages: 2, paused });
    const got: number[] = [];
    sub = steps.subscribe((s) => got.push(...firsts(s)));
    for (let m = 0; m < 5; m++) client.send({ type: 'examples', run: 'live', id: m, examples: exs(4 * m, 4 * m + 4) });
    expect(await answer(0)).toMatchObject({ type: 'ack' });
    expect(await answer(1)).toMatchObject({ type: 'ack' });
    // message 2 filled the queue (2 of its 4 queued) and waits with message 3; message 4 is refused
    expect(await answer(4)).toEqual({ type: 'reject', id: 4, reason: 'Expected `examples` room in the queue (policy block; 2 messages already wait: wait for their acks), got a full queue' });
    await new Promise((r) => setTimeout(r, 30));
    expect(client.messages.filter((m) => m.type === 'ack').map((m) => (m as { id: number }).id)).toEqual([0, 1]);
    paused.next(false);
    expect(await answer(2)).toEqual({ type: 'ack', id: 2, detail: '4 received: 4 queued' });
    expect(await answer(3)).toEqual({ type: 'ack', id: 3, detail: '4 received: 4 queued' });
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(client.messages.filter((m) => m.type === 'ack' || m.type === 'reject').map((m) => (m as { id: number }).id)).toEqual([0, 1, 4, 2, 3]);
  });

  it('rejects the waiting messages when the run stops; leaves no tensor behind', async () => {
    await start();
    await expectNoLeak(async () => {
      const { steps } = ingest(server, 'live', { batchSize: 5, queue: { capacity: 2 }, paused: new BehaviorSubject(true) });
      const s = steps.subscribe();
      client.send({ type: 'examples', run: 'live', id: 1, examples: exs(0, 3) });
      await new Promise((r) => setTimeout(r, 30));
      s.unsubscribe();
      expect(await answer(1)).toEqual({ type: 'reject', id: 1, reason: 'run "live" stopped before these examples were queued' });
    });
    expect(() => ingest(server, 'live', { batchSize: 1 })).toThrow('Expected `run` an ingest id not yet used on this server, got "live"');
  });
});
