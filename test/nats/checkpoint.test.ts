import * as tf from '@tensorflow/tfjs';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { concat, lastValueFrom, take, tap, throwError, toArray, type Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { accuracy } from '../../src/metrics/accuracy';
import { logisticRegression } from '../../src/models/logisticRegression';
import { adam } from '../../src/optimizers/adam';
import { decodeCheckpoint, type Checkpoint } from '../../streams/checkpointFile';
import type { CheckpointStore } from '../../streams/CheckpointStore';
import { fileCheckpoints } from '../../streams/fileCheckpoints';
import { natsCheckpoints } from '../../streams/nats/natsCheckpoints';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { resumeFrom } from '../../streams/resume';
import { linkScope, RunScope, scopeOf } from '../../streams/RunScope';
import { replay } from '../../streams/sources/replay';
import type { Step, StepResult } from '../../streams/Step';
import { fakeResult } from '../sinks/fakeResult';
import { expectNoLeak, marbles } from '../helpers';
import { syntheticTable } from '../online/syntheticTable';
import { startNatsServer, type NatsServer } from './natsServer';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
}, 20_000);
afterAll(() => server?.close());

const table = syntheticTable(60, 3, 7);
type Model = ReturnType<typeof logisticRegression>;
const bits = (model: Model) => Object.fromEntries(Object.entries(model.params).map(([n, v]) => [n, Array.from(new Uint32Array(Float32Array.from(v.dataSync()).buffer))]));

/** The online pipeline: replay (batch 4) → evaluation (delay 3) → adam → checkpoint in `store` every 2 steps, keep 2. */
function training(model: Model, store: CheckpointStore, resumeFrom: Checkpoint | undefined, cut?: (s: Observable<Step<ExampleBatch>>) => Observable<Step<ExampleBatch>>) {
  const source = replay(table, { batchSize: 4, resume: resumeFrom });
  return (cut ? cut(source) : source).pipe(
    progressiveValidation(model, { metrics: [accuracy()], delay: { examples: 3 } }),
    gradients(model.loss, model.params),
    optimize(adam({ lr: 0.05 })),
    applyUpdates(model.params),
    checkpoint({ store, params: model.params, everySteps: 2, keep: 2 }),
  );
}

/** An asynchronous store in memory whose writes complete when the test says (`confirm`) or fail (`reject`). */
function manualStore() {
  const pending: { step: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  const written: number[] = [];
  const store: CheckpointStore = {
    where: 'memory',
    open: () => undefined,
    write: (step) =>
      new Promise<string>((resolve, reject) => {
        pending.push({ step, resolve: () => (written.push(step), resolve(`m/${step}`)), reject });
      }),
    list: async () => written.map((step) => ({ name: `m/${step}`, step })),
    read: async () => '',
    close: async () => undefined,
  };
  return { store, pending, written };
}

/** A checkpointable part registered in the run at step 1, recording what `committed` is told. */
function spy(committed: number[]) {
  return tap<StepResult>((r) => {
    if (r.step === 1) scopeOf(r)!.register('spy', { save: () => ({ step: scopeOf(r)!.saveOne('source') }), committed: (saved) => committed.push((saved as { step: { step: number } }).step.step) });
  });
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('checkpoint with an asynchronous store: the durable moment', () => {
  it('captures at the step, writes in order one at a time (a newer capture replaces a waiting one), tells the run only after the store confirms, completes after the last write', async () => {
    const model = logisticRegression(3);
    const { store, pending, written } = manualStore();
    const committed: number[] = [];
    const results: number[] = [];
    let completed = false;
    const run = replay(table, { batchSize: 4 }).pipe(gradients(model.loss, model.params), optimize(adam({ lr: 0.05 })), applyUpdates(model.params), spy(committed), checkpoint({ store, params: model.params, everySteps: 2, keep: 2 }));
    run.subscribe({ next: (r) => results.push(r.step), complete: () => (completed = true) });
    // 15 synchronous steps: captures at 2, 4, …, 14 and at the end (15). The first write is in flight; 14 replaced 4…12 while waiting; 15 replaced 14.
    expect(results).toHaveLength(15);
    expect(pending.map((p) => p.step)).toEqual([2]);
    expect(committed).toEqual([]);
    expect(completed).toBe(false);
    pending[0].resolve();
    await flush();
    // step 2 is durable: the run heard of it; then the newest waiting capture (15) is written
    expect(committed).toEqual([2]);
    expect(pending.map((p) => p.step)).toEqual([2, 15]);
    expect(completed).toBe(false);
    pending[1].resolve();
    await flush();
    expect(committed).toEqual([2, 15]);
    expect(written).toEqual([2, 15]);
    expect(completed).toBe(true);
    model.dispose();
  });

  it('a failed write fails the run and is never reported durable', async () => {
    const model = logisticRegression(3);
    const { store, pending } = manualStore();
    const committed: number[] = [];
    const failed = lastValueFrom(replay(table, { batchSize: 4 }).pipe(gradients(model.loss, model.params), optimize(adam({ lr: 0.05 })), applyUpdates(model.params), spy(committed), checkpoint({ store, params: model.params, everySteps: 2 })));
    pending[0].reject(new Error('disk full'));
    await expect(failed).rejects.toThrow('disk full');
    expect(committed).toEqual([]);
    model.dispose();
  });

  it('a synchronous store (fileCheckpoints) reports durable before the next step, as before', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-file-store-'));
    const model = logisticRegression(3);
    const committed: number[] = [];
    const seenAt: number[] = [];
    await lastValueFrom(replay(table, { batchSize: 4 }).pipe(gradients(model.loss, model.params), optimize(adam({ lr: 0.05 })), applyUpdates(model.params), spy(committed), checkpoint({ store: fileCheckpoints(dir), params: model.params, everySteps: 2 }), tap(() => seenAt.push(committed.length))));
    expect(committed).toEqual([2, 4, 6, 8, 10, 12, 14, 15]);
    expect(seenAt.slice(0, 4)).toEqual([0, 1, 1, 2]); // step 2's checkpoint was durable when its result passed on
    expect((await resumeFrom(fileCheckpoints(dir), model.params)).checkpoint?.step).toBe(15);
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  });
});

describe('checkpoint with a custom synchronous store (marbles)', () => {
  /** A store in memory whose write is synchronous (durable when it returns). */
  const memory = () => {
    const steps: number[] = [];
    const store: CheckpointStore = { where: 'memory', open: () => undefined, write: (step) => (steps.push(step), `m/${step}`), list: async () => [], read: async () => '', close: async () => undefined };
    return { store, steps };
  };
  it('passes results on unchanged and at their time; writes every 2 steps and at the end, not on error nor unsubscribe', () => {
    const w = tf.variable(tf.zeros([1]));
    const scope = new RunScope();
    const committed: number[] = [];
    scope.register('spy', { save: () => committed.length, committed: () => committed.push(committed.length) });
    const r = (step: number) => {
      const x = fakeResult(step);
      linkScope(x, scope);
      return x;
    };
    const values = { a: r(1), b: r(2), c: r(3) };
    const done = memory();
    const failed = memory();
    const cut = memory();
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a-b-c|', values);
      expectObservable(src.pipe(checkpoint({ store: done.store, params: { w }, everySteps: 2 }))).toBe('a-b-c|', values);
      expectSubscriptions(src.subscriptions).toBe('^----!');
      const err = cold('a-b-c-#', values);
      expectObservable(err.pipe(checkpoint({ store: failed.store, params: { w }, everySteps: 2 }))).toBe('a-b-c-#', values);
      expectSubscriptions(err.subscriptions).toBe('^-----!');
      const early = cold('a-b-c|', values);
      expectObservable(early.pipe(checkpoint({ store: cut.store, params: { w }, everySteps: 2 })), '^--!').toBe('a-b', values);
      expectSubscriptions(early.subscriptions).toBe('^--!');
    });
    expect(done.steps).toEqual([2, 3]);
    expect(failed.steps).toEqual([2]);
    expect(cut.steps).toEqual([2]);
    expect(committed).toHaveLength(4); // each write reported durable at once
    w.dispose();
  });
});

describe('natsCheckpoints (a real nats-server)', () => {
  it('keeps the newest checkpoints as objects; a run stopped anywhere and resumed from NATS ends bit for bit as one never stopped', async () => {
    const servers = server.url;
    const whole = logisticRegression(3);
    const wholeStore = natsCheckpoints({ servers, key: 'whole' });
    const last = await lastValueFrom(training(whole, wholeStore, undefined));
    // 60 rows / 4 = 15 steps, then the delay's last answers in step 16. The steps are synchronous:
    // step 2's write is in flight while 4 … 16 are captured, each replacing the one waiting.
    // The output completed after the last write was durable: it is listed.
    const entries = await wholeStore.list();
    expect(entries.map((e) => e.step)).toEqual([2, 16]);
    expect(entries[1].name).toBe('whole/checkpoint-000000000016.json');
    const read = decodeCheckpoint(await wholeStore.read(entries[1].name));
    if ('reason' in read) throw new Error(read.reason);
    expect(read.checkpoint.result).toEqual(JSON.parse(JSON.stringify(last)));
    await wholeStore.close();

    for (const stopAt of [3, 8]) {
      const key = `cut-${stopAt}`;
      const first = logisticRegression(3);
      // stopped by an unsubscribe after `stopAt` steps (no end-of-run checkpoint); the write in flight and the one waiting finish
      await lastValueFrom(training(first, natsCheckpoints({ servers, key }), undefined).pipe(take(stopAt)));
      // a fresh model (another process, another machine): only NATS holds the run, once those writes are done
      const again = logisticRegression(3);
      const store = natsCheckpoints({ servers, key });
      await vi.waitFor(async () => expect((await store.list()).at(-1)?.step).toBe(2 * Math.floor(stopAt / 2)), { timeout: 10_000, interval: 20 });
      const newest = (await store.list()).at(-1)!;
      const r = await resumeFrom(store, again.params);
      expect(r.checkpoint?.step).toBe(2 * Math.floor(stopAt / 2));
      expect(r.message).toBe(`resumed from ${newest.name} (step ${r.checkpoint?.step}, ${4 * r.checkpoint!.step} examples)`);
      const resumedLast = await lastValueFrom(training(again, store, r.checkpoint));
      expect(bits(again)).toEqual(bits(whole));
      expect(resumedLast.online).toEqual(last.online);
      first.dispose();
      again.dispose();
    }
    whole.dispose();
  }, 60_000);

  it('a truncated or corrupt checkpoint object is named and skipped; none at all starts from the beginning', async () => {
    const servers = server.url;
    const model = logisticRegression(3);
    const store = natsCheckpoints({ servers, bucket: 'ckpt-corrupt', key: 'r' });
    await lastValueFrom(training(model, store, undefined, (s) => s.pipe(take(6))));
    const nc = await connect({ servers });
    const os = await new Objm(nc).create('ckpt-corrupt');
    // take(6) and the delay's last answers: checkpoints of steps 2 and 7
    expect((await store.list()).map((e) => e.name)).toEqual(['r/checkpoint-000000000002.json', 'r/checkpoint-000000000007.json']);
    const good = await store.read('r/checkpoint-000000000007.json');
    await expect(store.read('r/checkpoint-000000000005.json')).rejects.toThrow('Expected `name` an object of the object store "ckpt-corrupt", got "r/checkpoint-000000000005.json" (none by that name: deleted meanwhile?)');
    await os.putBlob({ name: 'r/checkpoint-000000000008.json' }, new TextEncoder().encode(good.slice(0, 100)));
    await os.putBlob({ name: 'r/checkpoint-000000000009.json' }, new TextEncoder().encode(good.replace('"step":7', '"step":9')));
    const fresh = logisticRegression(3);
    const r = await resumeFrom(store, fresh.params);
    expect(r.checkpoint?.step).toBe(7);
    expect(r.skipped).toEqual([
      { file: 'r/checkpoint-000000000009.json', reason: 'corrupt (the checksum does not match the data)' },
      { file: 'r/checkpoint-000000000008.json', reason: 'truncated or corrupt (no checksum line after the data)' },
    ]);
    expect(r.message).toMatch(/^resumed from r\/checkpoint-000000000007\.json \(step 7, 24 examples\); skipped r\/checkpoint-000000000009\.json: corrupt/);
    expect(bits(fresh)).toEqual(bits(model));
    const none = await resumeFrom(natsCheckpoints({ servers, bucket: 'ckpt-corrupt', key: 'nobody' }), fresh.params);
    expect(none.checkpoint).toBeUndefined();
    expect(none.message).toBe('no checkpoint in the NATS object store "ckpt-corrupt" (key "nobody"): starting from the beginning');
    await nc.close();
    model.dispose();
    fresh.dispose();
  }, 30_000);

  it('bad options name the field; an unreachable server fails the run', async () => {
    const w = tf.variable(tf.zeros([1]));
    expect(() => natsCheckpoints({ servers: [] })).toThrow('Expected `servers` a NATS URL or a non-empty array of them');
    expect(() => natsCheckpoints({ servers: server.url, bucket: 'a b' })).toThrow('Expected `bucket` a bucket name of letters, digits, - and _, got "a b"');
    expect(() => natsCheckpoints({ servers: server.url, key: 'x.' })).toThrow('Expected `key` a key of letters');
    const store = natsCheckpoints({ servers: server.url });
    expect(() => checkpoint({ dir: 'ckpt', store, params: { w }, everySteps: 1 })).toThrow('Expected `dir` a folder path, or a `store` instead (one of the two), got both `dir` and `store`');
    expect(() => checkpoint({ params: { w }, everySteps: 1 })).toThrow('Expected `dir` a folder path, or a `store` instead (one of the two), got undefined');
    expect(() => checkpoint({ store: {} as CheckpointStore, params: { w }, everySteps: 1 })).toThrow('Expected `store` a CheckpointStore');
    await expect(resumeFrom(null as unknown as CheckpointStore, { w })).rejects.toThrow('Expected `store` a CheckpointStore');
    const model = logisticRegression(3);
    await expect(lastValueFrom(training(model, natsCheckpoints({ servers: 'nats://127.0.0.1:1' }), undefined))).rejects.toThrow();
    model.dispose();
    w.dispose();
  }, 30_000);

  it('leaks no tensor after complete, error and early unsubscribe', async () => {
    const servers = server.url;
    const model = logisticRegression(3);
    const store = natsCheckpoints({ servers, key: 'leak' });
    await expectNoLeak(() => lastValueFrom(training(model, store, undefined)));
    await expectNoLeak(() => lastValueFrom(training(model, store, undefined).pipe(take(3), toArray())));
    await expectNoLeak(() => expect(lastValueFrom(concat(training(model, store, undefined, (s) => s.pipe(take(5))), throwError(() => new Error('broke'))))).rejects.toThrow('broke'));
    await store.close();
    model.dispose();
  }, 30_000);
});
