import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { concat, lastValueFrom, Subject, take, tap, throwError, toArray } from 'rxjs';
import { accuracy } from '../../../src/metrics/accuracy';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { sgd } from '../../../src/optimizers/sgd';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { progressiveValidation } from '../../../streams/operators/progressiveValidation';
import { snapshots, type Snapshot } from '../../../streams/operators/snapshots';
import { predictor } from '../../../streams/predictor';
import { replay } from '../../../streams/sources/replay';
import { fakeResult } from '../../sinks/fakeResult';
import { expectNoLeak, marbles } from '../../helpers';
import { syntheticTable } from '../../online/syntheticTable';

const table = syntheticTable(20, 2, 3);

/** A training run of logistic regression on the 20-row table, batch 2 (10 steps), with the snapshot operator. */
function training(everySteps: number) {
  const model = logisticRegression(2);
  const snaps = snapshots({ everySteps, params: model.params });
  const after: Record<number, number[]> = {};
  const run = replay(table, { batchSize: 2 }).pipe(
    progressiveValidation(model, { metrics: [accuracy()] }),
    gradients(model.loss, model.params),
    optimize(sgd({ lr: 0.5 })),
    applyUpdates(model.params),
    tap((r) => (after[r.step] = [...model.params.w.dataSync(), ...model.params.b.dataSync()])),
    snaps.operator,
  );
  return { model, snaps, run, after };
}

const flat = (s: Snapshot) => [...s.params.w, ...s.params.b];

describe('snapshots', () => {
  it('emits versioned copies of the parameters every N steps, and a last one at the end', async () => {
    const { model, snaps, run, after } = training(4);
    const seen = lastValueFrom(snaps.snapshots$.pipe(toArray()));
    await lastValueFrom(run);
    const all = await seen;
    // 10 steps: snapshots after steps 4, 8, and the last step 10 (version ⌈10/4⌉ = 3)
    expect(all.map((s) => [s.version, s.step, s.examples])).toEqual([
      [1, 4, 8],
      [2, 8, 16],
      [3, 10, 20],
    ]);
    for (const s of all) expect(flat(s)).toEqual(after[s.step]);
    // copies: they do not follow later training
    expect(flat(all[0])).not.toEqual(flat(all[2]));
    model.dispose();
  });

  it('replays the newest snapshot to a late subscriber', async () => {
    const { model, snaps, run } = training(5);
    await lastValueFrom(run);
    const late = await lastValueFrom(snaps.snapshots$.pipe(toArray()));
    expect(late.map((s) => s.version)).toEqual([2]);
    model.dispose();
  });

  it('passes results on unchanged; snapshots$ completes with the run, stays open after an error or an unsubscribe (marbles)', () => {
    const w = tf.variable(tf.tensor1d([1.5]));
    const values = { a: fakeResult(1), b: fakeResult(2), c: fakeResult(3) };
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = snapshots({ everySteps: 2, params: { w } });
      const src = cold('a-b-#', values);
      expectObservable(src.pipe(failing.operator)).toBe('a-b-#', values);
      expectSubscriptions(src.subscriptions).toBe('^---!');
      expectObservable(failing.snapshots$).toBe('--x', { x: { version: 1, step: 2, examples: 2, params: { w: Float32Array.of(1.5) } } });

      const cut = snapshots({ everySteps: 1, params: { w } });
      const src2 = cold('a-b-c|', values);
      expectObservable(src2.pipe(cut.operator), '^--!').toBe('a-b', values);
      expectSubscriptions(src2.subscriptions).toBe('^--!');

      const done = snapshots({ everySteps: 2, params: { w } });
      expectObservable(cold('a-b-c|', values).pipe(done.operator)).toBe('a-b-c|', values);
      expectObservable(done.snapshots$).toBe('--x--(y|)', {
        x: { version: 1, step: 2, examples: 2, params: { w: Float32Array.of(1.5) } },
        y: { version: 2, step: 3, examples: 3, params: { w: Float32Array.of(1.5) } },
      });
    });
    w.dispose();
  });

  it('checks its options', () => {
    const w = tf.variable(tf.zeros([1]));
    expect(() => snapshots({ everySteps: 0, params: { w } })).toThrow('Expected `everySteps` an integer ≥ 1, got 0');
    expect(() => snapshots({ everySteps: 1, params: {} })).toThrow('Expected `params` a non-empty record of tf.Variable');
    w.dispose();
  });
});

describe('predictor', () => {
  /** A snapshot of logistic regression with w = (w1, w2), b. */
  const snap = (version: number, w: [number, number], b: number): Snapshot => ({ version, step: 10 * version, examples: 10 * version, params: { w: Float32Array.from(w), b: Float32Array.of(b) } });

  it('serves from the newest snapshot, never from the parameters being trained', async () => {
    const training = logisticRegression(2);
    const source = new Subject<Snapshot>();
    const serving = predictor(training, source);
    expect(() => serving.predict([[1, 1]])).toThrow('Expected `snapshot` one before predicting (none has arrived yet)');
    source.next(snap(1, [1, 2], 0.5));
    // z = 1·1 + 2·1 + 0.5 = 3.5, p = σ(3.5) = 0.97068777; z = −1·… for x (−1, −1): −2.5, p = 0.07585818
    const a = serving.predict([[1, 1], [-1, -1]]);
    expect(a.version).toBe(1);
    expect(a.step).toBe(10);
    expect(Array.from(a.yHat)).toEqual([1, 0]);
    expect(a.proba![1]).toBeCloseTo(0.97068777, 6);
    expect(a.proba![3]).toBeCloseTo(0.07585818, 6);
    expect(a.proba![0]).toBeCloseTo(1 - 0.97068777, 6);
    // training moves its own parameters: the served model does not follow
    training.params.w.assign(tf.tensor2d([[-5], [-5]]));
    expect(serving.predict(Float32Array.of(1, 1)).proba![1]).toBeCloseTo(0.97068777, 6);
    // a newer snapshot replaces it: w = (−1, −1), b = 0 → z = −2 at (1, 1), p = σ(−2) = 0.11920292
    source.next(snap(2, [-1, -1], 0));
    expect(serving.version).toBe(2);
    const b = serving.predict([[1, 1]]);
    expect(b.version).toBe(2);
    expect(b.proba![1]).toBeCloseTo(0.11920292, 6);
    expect(Array.from(b.yHat)).toEqual([0]);
    serving.dispose();
    training.dispose();
  });

  it('follows a training run through snapshots() while it runs', async () => {
    const model = logisticRegression(2);
    const snaps = snapshots({ everySteps: 3, params: model.params });
    const serving = predictor(model, snaps.snapshots$);
    const versions: number[] = [];
    await lastValueFrom(
      replay(table, { batchSize: 2 }).pipe(
        progressiveValidation(model, { metrics: [accuracy()] }),
        gradients(model.loss, model.params),
        optimize(sgd({ lr: 0.5 })),
        applyUpdates(model.params),
        snaps.operator,
        tap((r) => {
          if (r.step >= 3) versions.push(serving.predict([[0.5, -0.5]]).version);
        }),
      ),
    );
    expect(versions).toEqual([1, 1, 1, 2, 2, 2, 3, 3]);
    // after the run: the last snapshot (step 10, version 4) is the final parameters
    const p = serving.predict([[0.5, -0.5]]);
    expect(p.version).toBe(4);
    const z = 0.5 * model.params.w.dataSync()[0] - 0.5 * model.params.w.dataSync()[1] + model.params.b.dataSync()[0];
    expect(p.proba![1]).toBeCloseTo(1 / (1 + Math.exp(-z)), 6);
    serving.dispose();
    model.dispose();
  });

  it('names a bad snapshot, a bad row, and throws the error of the snapshot stream', () => {
    const model = logisticRegression(2);
    const source = new Subject<Snapshot>();
    const serving = predictor(model, source);
    source.next({ version: 1, step: 1, examples: 1, params: { w: Float32Array.of(1), b: Float32Array.of(0) } });
    expect(() => serving.predict([[1, 1]])).toThrow('Expected `snapshot.params.w` a Float32Array of 2 values');
    source.next(snap(2, [1, 1], 0));
    expect(() => serving.predict([[1, 1, 1]])).toThrow('Expected `x[0]` 2 features, got 3');
    source.error(new Error('training died'));
    expect(() => serving.predict([[1, 1]])).toThrow('training died');
    serving.dispose();
    model.dispose();
  });

  it('frees its parameters on dispose and makes no tensor per prediction', async () => {
    const model = logisticRegression(2);
    await expectNoLeak(() => {
      const source = new Subject<Snapshot>();
      const serving = predictor(model, source);
      source.next(snap(1, [1, 2], 0));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 10; i++) serving.predict([[i, i]]);
      expect(tf.memory().numTensors).toBe(before);
      source.next(snap(2, [1, 2], 0));
      serving.predict([[1, 1]]);
      serving.dispose();
    });
    model.dispose();
  });

  it('a snapshot run leaks no tensor after complete, error and early unsubscribe', async () => {
    const { model, run } = training(2);
    await expectNoLeak(() => lastValueFrom(run));
    await expectNoLeak(() => lastValueFrom(run.pipe(take(2))));
    const broken = concat(run.pipe(take(2)), throwError(() => new Error('broke')));
    await expectNoLeak(() => expect(lastValueFrom(broken)).rejects.toThrow('broke'));
    model.dispose();
  });
});
