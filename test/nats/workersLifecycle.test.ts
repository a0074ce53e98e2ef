/**
 * gradientWorker and gradientUpdater with a real nats-server: no tensor left after complete,
 * error and early unsubscribe; a worker whose updater is gone fails naming it; malformed
 * messages are dead-lettered with their reason; bad options name the field.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { RxgradError } from '../../src/RxgradError';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { optimize } from '../../streams/operators/optimize';
import { gradientUpdater, updaterSubjects } from '../../streams/nats/gradientUpdater';
import { gradientWorker } from '../../streams/nats/gradientWorker';
import { ensureStream, publishExamples } from '../../streams/nats/publishExamples';
import { elec2 } from '../../streams/sources/elec2';
import { expectNoLeak, until } from '../helpers';
import { startNatsServer, type NatsServer } from './natsServer';

const table = elec2();
const rows = (n: number) => ({ n, d: table.d, xs: table.xs.slice(0, n * table.d), ys: table.ys.slice(0, n) });

describe('gradientWorker / gradientUpdater lifecycle with a real nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let model: ReturnType<typeof logisticRegression>;
  let workerModel: ReturnType<typeof logisticRegression>;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    model = logisticRegression(6);
    workerModel = logisticRegression(6);
  });
  afterAll(async () => {
    model?.dispose();
    workerModel?.dispose();
    await nc?.close();
    await server?.close();
  });

  const setup = async (name: string, n: number) => {
    await publishExamples({ servers: server.url, stream: name, subject: `${name}.examples`, examples: rows(n), idPrefix: name });
    return { servers: server.url, stream: name, subject: `${name}.examples`, updater: `${name}.updater`, deadLetter: false as const };
  };

  it('an error downstream of the updater frees its steps, and the worker then fails naming the updater', async () => {
    const common = await setup('err', 64);
    await expectNoLeak(async () => {
      let n = 0;
      const updater = gradientUpdater({ servers: server.url, updater: common.updater, params: model.params, staleness: { maxStaleness: 4 } }).pipe(
        tap(() => {
          if (++n === 3) throw new Error('boom');
        }),
        optimize(sgd({ lr: 0.1 })),
        applyUpdates(model.params),
      );
      const failed = lastValueFrom(updater).catch((e: Error) => e);
      const worker = lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4, requestTimeoutMs: 1500 })).catch((e: Error) => e);
      expect(((await failed) as Error).message).toBe('boom');
      const err = await worker;
      expect(err).toBeInstanceOf(RxgradError);
      expect((err as RxgradError).field).toBe('updater');
      expect((err as RxgradError).message).toContain('err.updater.grads');
    });
  });

  it('early unsubscribe (take) of workers and of the updater leaves no tensor; a worker cut off from its answer fails', async () => {
    const common = await setup('unsub', 96);
    await expectNoLeak(async () => {
      const first = lastValueFrom(
        gradientUpdater({ servers: server.url, updater: common.updater, params: model.params, staleness: { maxStaleness: 4 }, idleMs: 1500 }).pipe(optimize(sgd({ lr: 0.1 })), applyUpdates(model.params), toArray()),
      );
      const reports = await lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4 }).pipe(take(3), toArray()));
      expect(reports.map((r) => r.examples)).toEqual([4, 8, 12]);
      await lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4 }).pipe(take(1)));
      expect((await first).map((r) => r.step)).toEqual([1, 2, 3, 4]);
      // An updater cut by take(2): the run ends inside step 2, whose answer is never sent.
      const second = lastValueFrom(gradientUpdater({ servers: server.url, updater: common.updater, params: model.params, staleness: { maxStaleness: 4 } }).pipe(optimize(sgd({ lr: 0.1 })), applyUpdates(model.params), take(2), toArray()));
      const err = await lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4, requestTimeoutMs: 1000 })).catch((e: Error) => e);
      expect((await second).map((r) => r.step)).toEqual([1, 2]);
      expect((err as RxgradError).field).toBe('updater');
    });
  });

  it('a worker without an updater fails after requestTimeoutMs, naming it', async () => {
    const common = await setup('alone', 8);
    const err = await lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4, requestTimeoutMs: 300 })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RxgradError);
    expect((err as Error).message).toMatch(/^Expected `updater` a gradientUpdater answering on alone\.updater\.model, got no answer within 300 ms/);
  });

  it('dead-letters malformed messages with their reason (a large payload cut at 256 KiB, as jetstream() does) and trains the others', async () => {
    await ensureStream({ servers: server.url, stream: 'mal', subject: 'mal.examples', deadLetter: 'mal.dead' });
    const js = (await jetstreamManager(nc)).jetstream();
    const bad = ['{"x":[1,', '{"x":[1,2],"y":0}', '{"x":[0,0,0,0,0,0]}', '{"x":[0,0,0,0,0,0],"y":2}', 'z'.repeat(300 * 1024)];
    for (const b of bad) await js.publish('mal.examples', b);
    await publishExamples({ servers: server.url, stream: 'mal', subject: 'mal.examples', examples: rows(8), idPrefix: 'mal' });
    const trained: number[] = [];
    const updater = lastValueFrom(
      gradientUpdater({ servers: server.url, updater: 'mal.updater', params: model.params, staleness: { maxStaleness: 4 }, examples: 8 }).pipe(
        tap((s) => trained.push(...s.batch.sequences)),
        optimize(sgd({ lr: 0.1 })),
        applyUpdates(model.params),
      ),
    );
    const last = await lastValueFrom(gradientWorker({ servers: server.url, stream: 'mal', subject: 'mal.examples', updater: 'mal.updater', deadLetter: 'mal.dead', model: workerModel, batchSize: 4, idleMs: 1000 }));
    await updater;
    expect(last.rejected).toBe(5);
    expect(last.examples).toBe(8);
    expect(trained.sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    const dead = await (await js.consumers.get('mal_dead')).fetch({ max_messages: 5, expires: 1000 });
    const letters: { reason: string; sequence: number; payload: string; payloadBytes?: number }[] = [];
    for await (const m of dead) letters.push(m.json());
    expect(letters.map((l) => l.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(letters[0].reason).toMatch(/JSON/);
    expect(letters[1].reason).toBe('Expected `x` 6 features, got 2');
    expect(letters[2].reason).toBe('Expected `y` a label (a worker trains on labelled examples only), got none');
    expect(letters[3].reason).toMatch(/^Expected `y` a class index in \[0, 2\)/);
    expect(letters[4]).toMatchObject({ payload: 'z'.repeat(256 * 1024), payloadBytes: 300 * 1024 });
    expect(letters[4].reason).toMatch(/JSON/);
  });

  it('a malformed message whose dead letter cannot be stored is nak()ed and refused again, the worker going on, until the dead-letter stream is there', async () => {
    // No stream holds `nl.dead` yet: publishing the letter fails.
    await ensureStream({ servers: server.url, stream: 'nl', subject: 'nl.examples', deadLetter: false });
    const js = (await jetstreamManager(nc)).jetstream();
    await js.publish('nl.examples', 'not json');
    await publishExamples({ servers: server.url, stream: 'nl', subject: 'nl.examples', examples: rows(8), idPrefix: 'nl' });
    const updater = lastValueFrom(
      gradientUpdater({ servers: server.url, updater: 'nl.updater', params: model.params, staleness: { maxStaleness: 4 }, examples: 8 }).pipe(optimize(sgd({ lr: 0.1 })), applyUpdates(model.params)),
    );
    const reports: { examples: number; rejected: number }[] = [];
    const worker = lastValueFrom(
      gradientWorker({ servers: server.url, stream: 'nl', subject: 'nl.examples', updater: 'nl.updater', deadLetter: 'nl.dead', model: workerModel, batchSize: 4, idleMs: 1500 }).pipe(tap((r) => reports.push(r))),
    );
    await updater; // the 8 good ones are trained meanwhile
    const jsm = await jetstreamManager(nc);
    await until(async () => (await jsm.consumers.info('nl', 'rxgrad-workers')).num_redelivered > 0);
    expect(reports.at(-1)).toMatchObject({ examples: 8, rejected: 0 });
    await ensureStream({ servers: server.url, stream: 'nl', subject: 'nl.examples', deadLetter: 'nl.dead' });
    // Stored then terminated, and reported (its fetch settled no batch).
    expect(await worker).toMatchObject({ examples: 8, rejected: 1 });
    const letter = (await jsm.streams.getMessage('nl_dead', { seq: 1 }))!.json<{ sequence: number; deliveries: number; reason: string }>();
    expect(letter.sequence).toBe(1);
    expect(letter.deliveries).toBeGreaterThan(1);
    expect(letter.reason).toMatch(/JSON/);
    expect((await jsm.consumers.info('nl', 'rxgrad-workers')).num_ack_pending).toBe(0);
  });

  it('bad options are RxgradErrors naming the field', () => {
    const servers = 'nats://127.0.0.1:1';
    const w = (o: Record<string, unknown>) => () => gradientWorker({ servers, model: workerModel, batchSize: 4, ...o } as never);
    expect(w({ batchSize: 0 })).toThrow('Expected `batchSize` an integer ≥ 1, got 0');
    expect(w({ servers: [] })).toThrow('servers');
    expect(w({ model: {} })).toThrow('Expected `model` a Model (with loss and scoreRows)');
    expect(w({ consumer: 'a b' })).toThrow('Expected `consumer` a name of 1–200 letters, digits, _ or -, got "a b"');
    expect(w({ updater: 'a.*' })).toThrow('Expected `updater` a subject prefix');
    expect(w({ maxAckPending: 31 })).toThrow('Expected `maxAckPending` ≥ 2 × prefetch = 32'); // prefetch 4 × batchSize = 16
    expect(w({ prefetch: 0 })).toThrow('Expected `prefetch` an integer ≥ 1, got 0');
    expect(w({ idleMs: 0 })).toThrow('Expected `idleMs` > 0, got 0');
    expect(w({ delayMs: -1 })).toThrow('delayMs');
    expect(w({ requestTimeoutMs: 'x' })).toThrow('requestTimeoutMs');
    const u = (o: Record<string, unknown>) => () => gradientUpdater({ servers, params: model.params, staleness: { maxStaleness: 2 }, ...o } as never);
    expect(u({ params: {} })).toThrow('Expected `params` a non-empty record of tf.Variable');
    const plain = tf.zeros([1]);
    expect(u({ params: { w: plain } })).toThrow('Expected `params.w` a tf.Variable');
    plain.dispose();
    expect(u({ staleness: { maxStaleness: -1 } })).toThrow('Expected `staleness.maxStaleness` an integer ≥ 0, got -1');
    expect(u({ staleness: { maxStaleness: 1, mode: 'x' } })).toThrow('staleness.mode');
    expect(u({ examples: 0 })).toThrow('Expected `examples` an integer ≥ 1, got 0');
    expect(u({ idleMs: -5 })).toThrow('idleMs');
    expect(u({ updater: '' })).toThrow('Expected `updater`');
    expect(u({ ackAfter: 'ack' })).toThrow("Expected `ackAfter` 'apply' or 'checkpoint', got \"ack\"");
    expect(w({ inFlight: 0 })).toThrow('Expected `inFlight` an integer ≥ 1, got 0');
    expect(updaterSubjects('a.b').versions).toBe('a.b.versions');
  });

  it("refuses to resume from another source's checkpoint, naming the field", async () => {
    const replayCheckpoint = { state: { source: { step: 3, examples: 30 } } };
    const err = await lastValueFrom(gradientUpdater({ servers: 'nats://127.0.0.1:1', params: model.params, staleness: { maxStaleness: 2 }, resume: replayCheckpoint })).catch((e: Error) => e);
    expect((err as Error).message).toBe("Expected `resume.state.source.gate` a gradientUpdater's saved state (the checkpoint is another source's), got undefined");
  });
});
