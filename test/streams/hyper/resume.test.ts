import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, map, take, tap, toArray } from 'rxjs';
import { cosine, disposeTree, restoreState, serializeState, sgd, warmup, type PlateauState, type SerializedState } from '../../../src/index';
import { linearRegression } from '../../../src/models/linearRegression';
import { airfoil } from '../../../streams/sources/airfoil';
import { minibatches } from '../../../streams/sources/minibatches';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { learningRate } from '../../../streams/operators/learningRate';
import { optimize } from '../../../streams/operators/optimize';
import { reduceOnPlateau, type Metric } from '../../../streams/operators/reduceOnPlateau';
import { disposeStep } from '../../../streams/Step';
import { expectNoLeak } from '../../helpers';

const data = airfoil();
const source = { batchSize: 100, epochs: 2, shuffle: true, seed: 3 } as const; // 15 steps an epoch, 30 in all

/** Everything a checkpoint after step k holds: plain JSON. */
interface Checkpoint {
  readonly step: number;
  readonly params: Record<string, number[]>;
  readonly optimizer: SerializedState;
  readonly plateau: PlateauState;
}

/** The airfoil run (warmup + cosine × plateau on the training loss, SGD with momentum), from scratch or from a checkpoint. */
async function run(options: { stopAfter?: number; from?: Checkpoint } = {}) {
  const { from } = options;
  const model = linearRegression(5, { seed: 1 });
  if (from) for (const [name, values] of Object.entries(from.params)) tf.tidy(() => model.params[name].assign(tf.tensor(values, model.params[name].shape)));
  const metrics = new Subject<Metric>();
  let optimizer: SerializedState | undefined;
  let plateau: PlateauState | undefined = from?.plateau;
  const opt = sgd({ momentum: 0.9 });
  const given = from && restoreState(from.optimizer, opt, model.params); // ours to free: optimize copies it
  const results = await lastValueFrom(
    minibatches(data, { ...source, start: { step: (from?.step ?? 0) + 1 } }).pipe(
      take(options.stopAfter ?? Infinity),
      gradients(model.loss, model.params),
      learningRate(warmup(5, cosine({ base: 0.05, tMax: 25 }))),
      // threshold 0.2 (rel): only a 20 % drop counts, so the plateau reduces several times in 30 steps
      reduceOnPlateau(metrics, { factor: 0.5, patience: 2, threshold: 0.2, state: from?.plateau, onState: (s) => (plateau = s) }),
      optimize(opt, { state: given, onState: (s) => (optimizer = serializeState(s)) }),
      applyUpdates(model.params),
      tap((r) => metrics.next({ step: r.step, epoch: r.epoch, value: r.loss })),
      map(({ step, epoch, loss, hyper, info, examples }) => ({ step, epoch, loss, hyper, info, examples })),
      toArray(),
    ),
  );
  const params = Object.fromEntries(Object.entries(model.params).map(([n, v]) => [n, Array.from(v.dataSync())]));
  model.dispose();
  disposeTree(given);
  const last = results[results.length - 1].step;
  return { results, checkpoint: JSON.parse(JSON.stringify({ step: last, params, optimizer, plateau })) as Checkpoint };
}

describe('resuming a run', () => {
  it('interrupted after step 17 and resumed from its checkpoint: identical hyperparameters, losses and parameters', async () => {
    await expectNoLeak(async () => {
      const whole = await run();
      const first = await run({ stopAfter: 17 });
      const rest = await run({ from: first.checkpoint });
      expect(first.results.map((r) => r.step)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
      expect(rest.results.map((r) => r.step)).toEqual(Array.from({ length: 13 }, (_, i) => i + 18));
      expect([...first.results, ...rest.results]).toEqual(whole.results); // bit-identical: same float32 ops in the same order
      expect(rest.checkpoint.params).toEqual(whole.checkpoint.params);
      expect(rest.checkpoint.plateau).toEqual(whole.checkpoint.plateau);
      // the restored plateau state matters: it reduces both before and after the interruption
      const factors = whole.results.map((r) => r.info['plateau.lr']);
      expect(new Set(factors.slice(0, 17)).size).toBeGreaterThan(1);
      expect(new Set(factors.slice(17)).size).toBeGreaterThan(1);
    });
  });

  it('minibatches({ start }) produces the tail of the uninterrupted stream: same steps, epochs, examples and batches', async () => {
    await expectNoLeak(async () => {
      const view = map((s: Parameters<typeof disposeStep>[0] & { batch: { xs: tf.Tensor } }) => {
        const v = { step: s.step, epoch: s.epoch, examples: s.examples, size: s.size, xs: Array.from(s.batch.xs.dataSync()) };
        disposeStep(s);
        return v;
      });
      const opts = { batchSize: 400, epochs: 3, shuffle: true, seed: 9 }; // 4 steps an epoch, the last of 300 rows
      const whole = await lastValueFrom(minibatches(data, opts).pipe(view, toArray()));
      for (const k of [4, 6]) {
        const tail = await lastValueFrom(minibatches(data, { ...opts, start: { step: k + 1 } }).pipe(view, toArray()));
        expect(tail).toEqual(whole.slice(k));
      }
      expect(() => minibatches(data, { ...opts, start: { step: 0 } })).toThrow('Expected `start.step` an integer ≥ 1, got 0');
    });
  });
});
