/**
 * Data-parallel training on a real nats-server: two gradient workers on one durable consumer and
 * one updater in this process. Every stream sequence is accounted exactly once (a ledger of what
 * each applied step trained), a slow worker's gradients beyond k versions are dropped, and a
 * message delivered again after its gradient was applied is not trained twice.
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { lastValueFrom, merge, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { encodeGradient } from '../../src/parallel/gradientMessage';
import { decodeReply } from '../../src/parallel/gradientReply';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { optimize } from '../../streams/operators/optimize';
import { gradientUpdater } from '../../streams/nats/gradientUpdater';
import { gradientWorker, type WorkerReport } from '../../streams/nats/gradientWorker';
import { ensureStream, publishExamples } from '../../streams/nats/publishExamples';
import { scopeOf } from '../../streams/RunScope';
import type { StepResult } from '../../streams/Step';
import { elec2 } from '../../streams/sources/elec2';
import { expectNoLeak } from '../helpers';
import { startNatsServer, type NatsServer } from './natsServer';

const table = elec2();
/** The first n rows of Elec2 as a table. */
const rows = (n: number) => ({ n, d: table.d, xs: table.xs.slice(0, n * table.d), ys: table.ys.slice(0, n) });
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('gradientWorker × 2 + gradientUpdater with a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.close();
  });

  /** A fresh stream with n Elec2 rows (`later`: created empty, the rows published by `publish()`); the options every part of one run shares. */
  const setup = async (name: string, n: number, later = false) => {
    await ensureStream({ servers: server.url, stream: name, subject: `${name}.examples`, deadLetter: false });
    const publish = () => publishExamples({ servers: server.url, stream: name, subject: `${name}.examples`, examples: rows(n), idPrefix: name });
    if (!later) await publish();
    return { servers: server.url, stream: name, subject: `${name}.examples`, updater: `${name}.updater`, deadLetter: false as const, publish };
  };

  /**
   * Run an updater (sgd) until n examples are accounted, beside the given workers; the sequences
   * of every applied step, in order. The rows are published once every worker has a pull request
   * waiting on the consumer, so each takes part however the machine's load orders their starts.
   */
  const train = async (n: number, common: Awaited<ReturnType<typeof setup>>, maxStaleness: number, workers: { name: string; delayMs?: number; batchSize: number; inFlight?: number }[]) => {
    const model = logisticRegression(6);
    const applied: number[][] = [];
    const reports: WorkerReport[] = [];
    const results: StepResult[] = [];
    const updater = gradientUpdater({ servers: common.servers, updater: common.updater, params: model.params, staleness: { maxStaleness }, examples: n }).pipe(
      tap((s) => applied.push([...s.batch.sequences])),
      optimize(sgd({ lr: 0.5 })),
      applyUpdates(model.params),
      tap((r) => results.push(r)),
    );
    const models = workers.map(() => logisticRegression(6));
    const running = workers.map((w, i) =>
      gradientWorker({ ...common, model: models[i], batchSize: w.batchSize, name: w.name, idleMs: 3000, delayMs: w.delayMs, inFlight: w.inFlight }).pipe(tap((r) => reports.push(r))),
    );
    const done = lastValueFrom(updater.pipe(toArray()));
    const working = lastValueFrom(merge(...running), { defaultValue: undefined });
    const jsm = await jetstreamManager(nc);
    for (;;) {
      const info = await jsm.consumers.info(common.stream, 'rxgrad-workers').catch(() => undefined);
      if ((info?.num_waiting ?? 0) >= workers.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await common.publish();
    await working;
    await done;
    const gate = (scopeOf(results.at(-1)!)!.save().source as { gate: Record<string, unknown> }).gate;
    for (const m of [model, ...models]) m.dispose();
    return { applied, reports, results, gate };
  };

  it('trains every stream sequence exactly once across two workers (ledger), no tensor left', async () => {
    const common = await setup('ledger', 240, true);
    await expectNoLeak(async () => {
      const { applied, reports, results, gate } = await train(240, common, 1000, [
        { name: 'a', batchSize: 8 },
        { name: 'b', batchSize: 8, inFlight: 3 }, // three gradients on the wire at a time
      ]);
      expect(applied.flat().sort((x, y) => x - y)).toEqual(range(240));
      // both workers took part, and their acked examples add up to the stream
      const last = (w: string) => reports.filter((r) => r.worker === w).at(-1)!;
      expect(last('a').examples).toBeGreaterThan(0);
      expect(last('b').examples).toBeGreaterThan(0);
      expect(last('a').examples + last('b').examples).toBe(240);
      expect(last('a').applied + last('b').applied).toBe(applied.length);
      expect(results.at(-1)!.step).toBe(applied.length);
      expect(gate).toMatchObject({ version: applied.length, trained: 240, stale: 0, duplicates: 0, predicted: 240, ledger: [[1, 240]] });
      // test-then-train accuracy over the 240 first Elec2 rows, reported on every step
      expect(results.at(-1)!.online!.metrics!.accuracy).toBeCloseTo((gate.correct as number) / 240, 12);
    });
    const info = await jetstreamManager(nc).then((jsm) => jsm.consumers.info('ledger', 'rxgrad-workers'));
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('drops the gradients of a slow worker that are more than k versions stale', async () => {
    const common = await setup('stale', 320, true);
    const k = 2;
    const { applied, reports, results, gate } = await train(320, common, k, [
      { name: 'fast', batchSize: 4 },
      { name: 'slow', batchSize: 4, delayMs: 150 },
    ]);
    const slow = reports.filter((r) => r.worker === 'slow').at(-1)!;
    const fast = reports.filter((r) => r.worker === 'fast').at(-1)!;
    // in 150 ms the fast worker makes many updates: the slow one's gradients are > k behind
    expect(slow.stale).toBeGreaterThan(0);
    expect(gate.stale).toBe(slow.stale + fast.stale);
    // every applied step was within the bound; trained + dropped = the stream, each sequence once
    for (const r of results) expect(r.info.staleness).toBeLessThanOrEqual(k);
    expect((gate.trained as number) + (gate.staleExamples as number)).toBe(320);
    expect(applied.flat().length).toBe(gate.trained);
    expect(new Set(applied.flat()).size).toBe(gate.trained);
    expect(gate.ledger).toEqual([[1, 320]]);
    expect(slow.examples + fast.examples).toBe(320);
  });

  it("a model without an analytic gradient takes tfjs's autodiff in the worker: the same updates, no tensor left", async () => {
    const final = async (name: string, wrap: boolean) => {
      const common = await setup(name, 64);
      const model = logisticRegression(6);
      const own = logisticRegression(6);
      // The same model behind a plain function: `analyticOf` finds no analytic gradient on it.
      const workerModel = wrap ? { ...own, loss: (p: typeof own.params, b: Parameters<typeof own.loss>[1]) => own.loss(p, b) } : own;
      const updater = lastValueFrom(
        gradientUpdater({ servers: server.url, updater: common.updater, params: model.params, staleness: { maxStaleness: 0 }, examples: 64 }).pipe(optimize(sgd({ lr: 0.5 })), applyUpdates(model.params)),
      );
      await lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 8, name: 'solo', idleMs: 1000 }));
      await updater;
      const values = [...model.params.w.dataSync(), ...model.params.b.dataSync()];
      model.dispose();
      own.dispose();
      return values;
    };
    const analytic = await final('analytic', false);
    let autodiff: number[] = [];
    await expectNoLeak(async () => {
      autodiff = await final('autodiff', true);
    });
    expect(autodiff.length).toBe(7);
    autodiff.forEach((v, i) => expect(v).toBeCloseTo(analytic[i], 5));
  });

  it('refuses a message delivered again after its gradient was applied (a worker that died before acking)', async () => {
    const common = await setup('redeliver', 64);
    const jsm = await jetstreamManager(nc);
    // The shared consumer, with a short ack wait so the "dead" worker's messages come back soon.
    await jsm.consumers.add('redeliver', { durable_name: 'rxgrad-workers', ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000, max_ack_pending: 1000 });
    const model = logisticRegression(6);
    const applied: number[][] = [];
    const reports: WorkerReport[] = [];
    const updater = lastValueFrom(
      // completes when idle (not after 64 examples: the repeated 1–4 still have to be answered)
      gradientUpdater({ servers: server.url, updater: common.updater, params: model.params, staleness: { maxStaleness: 1000 }, idleMs: 4000 }).pipe(
        tap((s) => applied.push([...s.batch.sequences])),
        optimize(sgd({ lr: 0.5 })),
        applyUpdates(model.params),
        toArray(),
      ),
    );
    // The worker that dies: takes 4 messages, gets its gradient applied, never acks.
    const consumer = await jetstream(nc).consumers.get('redeliver', 'rxgrad-workers');
    const taken: number[] = [];
    for await (const m of await consumer.fetch({ max_messages: 4, expires: 1000 })) taken.push(m.seq);
    expect(taken).toEqual([1, 2, 3, 4]);
    const grads = { w: new Float32Array(6), b: new Float32Array(1) };
    const request = encodeGradient({ version: 0, grads, loss: Math.LN2, n: 4, correct: 0, sequences: taken, worker: 'dead' });
    let reply;
    for (;;) {
      try {
        reply = decodeReply((await nc.request(`${common.updater}.grads`, request, { timeout: 1000 })).data, { w: 6, b: 1 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50)); // the updater is still connecting
      }
    }
    expect(reply.status).toBe('applied');
    // A live worker gets everything else, then the 4 again after the ack wait.
    const liveModel = logisticRegression(6);
    await lastValueFrom(gradientWorker({ ...common, model: liveModel, batchSize: 4, name: 'live', idleMs: 2500 }).pipe(tap((r) => reports.push(r))), { defaultValue: undefined });
    liveModel.dispose();
    await updater;
    const live = reports.at(-1)!;
    expect(live.duplicates).toBeGreaterThanOrEqual(1);
    expect(live.examples).toBe(64); // 60 trained + the 4 acked as already accounted
    expect(applied.flat().sort((x, y) => x - y)).toEqual(range(64)); // 1–4 once (the dead worker's), never again
    const info = await jsm.consumers.info('redeliver', 'rxgrad-workers');
    expect(info.num_ack_pending).toBe(0);
    model.dispose();
  });
});
