import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { asyncScheduler, concat, lastValueFrom, map, observeOn, of, take, throwError, toArray, type Observable } from 'rxjs';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { accuracy } from '../../../src/metrics/accuracy';
import { logLoss } from '../../../src/metrics/logLoss';
import { noChange } from '../../../src/metrics/noChange';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { listCheckpoints, readCheckpoint, type Checkpoint } from '../../../streams/checkpointFile';
import type { ExampleTable } from '../../../src/online/ExampleTable';
import { resume } from '../../../streams/resume';
import { adam } from '../../../src/optimizers/adam';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { checkpoint, type CheckpointOptions } from '../../../streams/operators/checkpoint';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { progressiveValidation } from '../../../streams/operators/progressiveValidation';
import { linkScope, RunScope } from '../../../streams/RunScope';
import { replay } from '../../../streams/sources/replay';
import type { Step, StepResult } from '../../../streams/Step';
import { fakeResult } from '../../sinks/fakeResult';
import { expectNoLeak, marbles } from '../../helpers';
import { syntheticTable } from '../../online/syntheticTable';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxgrad-ckpt-op-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const table: ExampleTable = syntheticTable(60, 3, 7);

/** The online pipeline of the SIGKILL test, in-process: replay → evaluation (delay 3) → adam → checkpoint. */
function training(model: ReturnType<typeof logisticRegression>, resumeFrom: Checkpoint | undefined, options: Partial<CheckpointOptions> = {}, steps?: (s: Observable<Step<ExampleBatch>>) => Observable<Step<ExampleBatch>>) {
  const source = replay(table, { batchSize: 4, resume: resumeFrom });
  return (steps ? steps(source) : source).pipe(
    progressiveValidation(model, { metrics: [accuracy(), logLoss()], baselines: [noChange()], delay: { examples: 3 } }),
    gradients(model.loss, model.params),
    optimize(adam({ lr: 0.05 })),
    applyUpdates(model.params),
    checkpoint({ dir, params: model.params, everySteps: 2, keep: 2, ...options }),
  );
}

const bits = (model: ReturnType<typeof logisticRegression>) => Object.fromEntries(Object.entries(model.params).map(([n, v]) => [n, Array.from(new Uint32Array(Float32Array.from(v.dataSync()).buffer))]));

/** A StepResult of a run (linked to `scope` as applyUpdates does). */
function resultOf(step: number, scope: RunScope): StepResult {
  const r = fakeResult(step);
  linkScope(r, scope);
  return r;
}

describe('checkpoint', () => {
  it('writes params and the whole run state every N steps and at the end, keeping the newest K', async () => {
    const model = logisticRegression(3);
    const results = await lastValueFrom(training(model, undefined).pipe(toArray()));
    // 60 rows / 4 = 15 steps, then the delay's last answers in step 16: writes at 2, 4, …, 16; keep 2.
    expect(results.at(-1)!.step).toBe(16);
    const files = listCheckpoints(dir);
    expect(files.map((f) => f.step)).toEqual([14, 16]);
    const last = readCheckpoint(files[1].file);
    if (!('checkpoint' in last)) throw new Error(last.reason);
    expect(last.checkpoint.step).toBe(16);
    expect(last.checkpoint.examples).toBe(60);
    expect(Object.keys(last.checkpoint.state)).toEqual(expect.arrayContaining(['source', 'evaluation']));
    expect(last.checkpoint.state.source).toEqual({ step: 15, examples: 60 });
    // the parameters exactly as they are
    expect(last.checkpoint.params.w.values).toEqual(Array.from(model.params.w.dataSync()));
    model.dispose();
  });

  it('a run stopped anywhere and resumed from its newest checkpoint ends bit for bit as one never stopped', async () => {
    const whole = logisticRegression(3);
    const expected = (await lastValueFrom(training(whole, undefined).pipe(toArray()))).at(-1)!;
    const expectedBits = bits(whole);
    whole.dispose();
    for (const stopAfter of [3, 8, 15]) {
      rmSync(dir, { recursive: true, force: true });
      const first = logisticRegression(3);
      await lastValueFrom(training(first, undefined).pipe(take(stopAfter), toArray()));
      first.dispose();
      const model = logisticRegression(3);
      const r = resume(dir, model.params);
      expect(r.checkpoint?.step).toBe(2 * Math.floor(stopAfter / 2));
      const last = (await lastValueFrom(training(model, r.checkpoint).pipe(toArray()))).at(-1)!;
      // (the source's ingest counters count this subscription's rows: not compared)
      const { ingest: _a, ...online } = last.online!;
      const { ingest: _b, ...expectedOnline } = expected.online!;
      expect(online).toEqual(expectedOnline);
      expect(last.step).toBe(expected.step);
      expect(bits(model)).toEqual(expectedBits);
      model.dispose();
    }
  });

  it('a run stopped after the checkpoint of the source\'s last step still gives the delayed answers at the end when resumed', async () => {
    const whole = logisticRegression(3);
    const expected = (await lastValueFrom(training(whole, undefined, { everySteps: 5 }).pipe(toArray()))).at(-1)!;
    const expectedBits = bits(whole);
    whole.dispose();
    rmSync(dir, { recursive: true, force: true });
    const first = logisticRegression(3);
    // 15 source steps; checkpoint at 15; stopped before the end-of-stream step 16 (the last 3 answers)
    await lastValueFrom(training(first, undefined, { everySteps: 5 }).pipe(take(15), toArray()));
    first.dispose();
    const model = logisticRegression(3);
    const r = resume(dir, model.params);
    expect(r.checkpoint?.step).toBe(15);
    // the source has nothing left: the evaluation, restored when the source opened the run, flushes
    const rest = await lastValueFrom(training(model, r.checkpoint, { everySteps: 5 }).pipe(toArray()));
    expect(rest.map((x) => x.step)).toEqual([16]);
    expect(rest[0].online!.metrics).toEqual(expected.online!.metrics);
    expect(rest[0].online!.baselines).toEqual(expected.online!.baselines);
    expect(bits(model)).toEqual(expectedBits);
    model.dispose();
  });

  it('a finished run resumed has nothing left to do; its checkpoint holds the last result', async () => {
    const whole = logisticRegression(3);
    const expected = (await lastValueFrom(training(whole, undefined).pipe(toArray()))).at(-1)!;
    whole.dispose();
    const model = logisticRegression(3);
    const r = resume(dir, model.params);
    expect(r.checkpoint?.step).toBe(16);
    expect(r.checkpoint?.result).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(await lastValueFrom(training(model, r.checkpoint).pipe(toArray()))).toEqual([]);
    model.dispose();
  });

  it('writes after everySeconds (performance clock), and at the end', async () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const scope = new RunScope();
    const w = tf.variable(tf.zeros([1]));
    await new Promise<void>((done) =>
      marbles().run(({ cold, expectObservable }) => {
        const src = cold('a-b-c-d|', { a: resultOf(1, scope), b: resultOf(2, scope), c: resultOf(3, scope), d: resultOf(4, scope) });
        expectObservable(src.pipe(map((r) => ((now = r.step * 600), r)), checkpoint({ dir, params: { w }, everySeconds: 1 }), map((r) => r.step))).toBe('a-b-c-d|', { a: 1, b: 2, c: 3, d: 4 });
        done();
      }),
    );
    // times 600, 1200 (≥ 1 s after 0: write), 1800, 2400 (≥ 1 s after 1200: write); 4 was written
    expect(listCheckpoints(dir).map((f) => f.step)).toEqual([2, 4]);
    w.dispose();
  });

  it('passes results on unchanged, writes on complete, not on error nor unsubscribe (marbles)', () => {
    const scope = new RunScope();
    const w = tf.variable(tf.zeros([1]));
    const values = { a: resultOf(1, scope), b: resultOf(2, scope), c: resultOf(3, scope) };
    const op = () => checkpoint({ dir, params: { w }, everySteps: 2 });
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a-b-c-#', values);
      expectObservable(src.pipe(op())).toBe('a-b-c-#', values);
      expectSubscriptions(src.subscriptions).toBe('^-----!');
      const cut = cold('a-b-c|', values);
      expectObservable(cut.pipe(op()), '^---!').toBe('a-b-', values);
      expectSubscriptions(cut.subscriptions).toBe('^---!');
    });
    expect(listCheckpoints(dir).map((f) => f.step)).toEqual([2]);
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-c|', values).pipe(op())).toBe('a-b-c|', values);
    });
    expect(listCheckpoints(dir).map((f) => f.step)).toEqual([2, 3]);
    w.dispose();
  });

  it('fails on a result without a run, and on a source ahead of the result (asynchrony in between)', async () => {
    const w = tf.variable(tf.zeros([1]));
    await expect(lastValueFrom(of(fakeResult(1)).pipe(checkpoint({ dir, params: { w }, everySteps: 1 })))).rejects.toThrow(
      'Expected `result` a StepResult of a run (from an rxgrad source; put checkpoint right after applyUpdates: a copied result loses its run), got step 1 without one',
    );
    w.dispose();
    const model = logisticRegression(3);
    await expect(lastValueFrom(training(model, undefined, {}, (s) => s.pipe(observeOn(asyncScheduler))))).rejects.toThrow(
      'Expected `source` at step ≤ 2 when its result is saved (nothing asynchronous between the source and checkpoint), got step 15',
    );
    model.dispose();
  });

  it('checks its options, naming the field', () => {
    const w = tf.variable(tf.zeros([1]));
    expect(() => checkpoint({ dir, params: { w } })).toThrow('Expected `everySteps` a number of steps (or `everySeconds`): when to write, got undefined');
    expect(() => checkpoint({ dir, params: { w }, everySteps: 0 })).toThrow('Expected `everySteps` an integer ≥ 1, got 0');
    expect(() => checkpoint({ dir, params: { w }, everySeconds: -1 })).toThrow('Expected `everySeconds` > 0, got -1');
    expect(() => checkpoint({ dir, params: { w }, everySteps: 1, keep: 0 })).toThrow('Expected `keep` an integer ≥ 1, got 0');
    expect(() => checkpoint({ dir: '', params: { w }, everySteps: 1 })).toThrow('Expected `dir` a folder path');
    expect(() => checkpoint({ dir, params: {}, everySteps: 1 })).toThrow('Expected `params` a non-empty record of tf.Variable');
    w.dispose();
  });

  it('leaks no tensor after complete, error and early unsubscribe', async () => {
    const model = logisticRegression(3);
    await expectNoLeak(() => lastValueFrom(training(model, undefined)));
    await expectNoLeak(() => lastValueFrom(training(model, undefined).pipe(take(3))));
    await expectNoLeak(() =>
      expect(lastValueFrom(training(model, undefined, {}, (s) => concat(s.pipe(take(2)), throwError(() => new Error('source broke')))))).rejects.toThrow('source broke'),
    );
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    model.dispose();
  });
});
