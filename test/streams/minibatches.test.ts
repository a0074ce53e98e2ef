import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BehaviorSubject, map, take, toArray, lastValueFrom, type Observable } from 'rxjs';
import { minibatches } from '../../streams/sources/minibatches';
import { disposeStep, type Step } from '../../streams/Step';
import { expectNoLeak } from '../helpers';

const rows = (n: number) => ({ xs: Array.from({ length: n }, (_, i) => [i, 10 * i]), ys: Array.from({ length: n }, (_, i) => i) });

/** Plain data of one step, read while its run lasts (the run frees the step's tensors when it ends). */
function summary(s: Step) {
  return { step: s.step, epoch: s.epoch, size: s.size, examples: s.examples, ids: Array.from(s.batch.ys.dataSync()), xs: s.batch.xs.arraySync() };
}

/** Every step of a stream as plain data. */
const summarize = (steps: Observable<Step>) => lastValueFrom(steps.pipe(map(summary), toArray()));

describe('minibatches', () => {
  it('counts steps from 1 across epochs, with the last smaller batch kept', async () => {
    const s = await summarize(minibatches(rows(5), { batchSize: 2, epochs: 2 }));
    expect(s.map((x) => [x.step, x.epoch, x.size, x.examples])).toEqual([
      [1, 1, 2, 2], [2, 1, 2, 4], [3, 1, 1, 5],
      [4, 2, 2, 7], [5, 2, 2, 9], [6, 2, 1, 10],
    ]);
    expect(s[0].xs).toEqual([[0, 0], [1, 10]]);
    expect(s[0].ids).toEqual([0, 1]);
  });

  it('drops the last smaller batch with dropLast', async () => {
    const s = await summarize(minibatches(rows(5), { batchSize: 2, epochs: 2, dropLast: true }));
    expect(s.map((x) => [x.step, x.epoch, x.size])).toEqual([[1, 1, 2], [2, 1, 2], [3, 2, 2], [4, 2, 2]]);
  });

  it('shuffles each epoch into a permutation, reproducibly from the seed', async () => {
    const run = async (seed: number) =>
      (await summarize(minibatches(rows(20), { batchSize: 5, epochs: 2, shuffle: true, seed }))).map((x) => x.ids);
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const epoch1 = a.slice(0, 4).flat();
    const epoch2 = a.slice(4).flat();
    expect([...epoch1].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([...epoch2].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(epoch1).not.toEqual(epoch2);
    // features travel with their targets
    const first = await summarize(minibatches(rows(20), { batchSize: 5, shuffle: true, seed: 3 }));
    for (const batch of first) (batch.xs as number[][]).forEach((row, i) => expect(row).toEqual([batch.ids[i], 10 * batch.ids[i]]));
  });

  it('restarts from step 1 for every subscriber', async () => {
    const src = minibatches(rows(4), { batchSize: 2 });
    const a = await summarize(src);
    const b = await summarize(src);
    expect(a.map((x) => x.step)).toEqual([1, 2]);
    expect(b).toEqual(a);
  });

  it('accepts tensors, batching along the first axis, and targets as [b, 1] columns from number[]', async () => {
    const xs = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ys = tf.tensor1d([7, 8, 9]);
    const steps = await summarize(minibatches({ xs, ys }, { batchSize: 2 }));
    expect(steps[0].xs).toEqual([[1, 2], [3, 4]]);
    expect(steps[0].ids).toEqual([7, 8]);
    const shapes = await lastValueFrom(minibatches({ xs: [[1], [2]], ys: [3, 4] }, { batchSize: 2 }).pipe(map((s) => s.batch.ys.shape), toArray()));
    expect(shapes[0]).toEqual([2, 1]);
    xs.dispose();
    ys.dispose();
  });

  it('creates exactly n batches when cut by take(n), and no tensor after', async () => {
    await expectNoLeak(async () => {
      let created = 0;
      const steps = await lastValueFrom(minibatches(rows(100), { batchSize: 1, epochs: 5 }).pipe(take(3), toArray()));
      created = steps.length;
      steps.forEach(disposeStep);
      expect(created).toBe(3);
    });
  });

  it('pauses while `paused` is true and resumes on false', async () => {
    const paused = new BehaviorSubject(true);
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      minibatches(rows(3), { batchSize: 1, paused }).subscribe({ next: (s) => (seen.push(s.step), disposeStep(s)), complete: resolve }),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    paused.next(false);
    await done;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('yields to the event loop with yieldEveryMs', async () => {
    let timerRan = false;
    setTimeout(() => (timerRan = true), 0);
    let sawTimer = false;
    await new Promise<void>((resolve) =>
      minibatches(rows(2000), { batchSize: 1, yieldEveryMs: 1 }).subscribe({
        next: (s) => {
          if (timerRan) sawTimer = true;
          disposeStep(s);
        },
        complete: resolve,
      }),
    );
    expect(sawTimer).toBe(true);
  });

  it('rejects bad input naming the field, the expectation and the value', () => {
    expect(() => minibatches(rows(5), { batchSize: 0 })).toThrow('Expected `batchSize` an integer ≥ 1, got 0');
    expect(() => minibatches(rows(5), { batchSize: 6 })).toThrow('Expected `batchSize` ≤ the number of examples (5), got 6');
    expect(() => minibatches(rows(5), { batchSize: 1.5 })).toThrow('`batchSize`');
    expect(() => minibatches(rows(5), { batchSize: 1, epochs: 0 })).toThrow('Expected `epochs` an integer ≥ 1, got 0');
    const nan = rows(5);
    nan.xs[3] = [1, NaN];
    expect(() => minibatches(nan, { batchSize: 1 })).toThrow('Expected `xs[3][1]` a finite number, got NaN (row 3)');
    expect(() => minibatches({ xs: [[1, 2], [3]], ys: [1, 2] }, { batchSize: 1 })).toThrow('Expected `xs[1]` a row of 2 numbers (as row 0), got [3]');
    expect(() => minibatches({ xs: [[1], [2]], ys: [1] }, { batchSize: 1 })).toThrow('Expected `ys` 2 rows (as many as xs), got 1 rows');
    const t = tf.tensor2d([[1], [NaN]]);
    expect(() => minibatches({ xs: t, ys: [1, 2] }, { batchSize: 1 })).toThrow('Expected `xs[1]` finite numbers, got NaN');
    t.dispose();
  });
});
