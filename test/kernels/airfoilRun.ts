import { lastValueFrom, toArray } from 'rxjs';
import type { Transform } from '../../src/index';
import { linearRegression } from '../../src/models/linearRegression';
import { minibatches } from '../../streams/sources/minibatches';
import { airfoil } from '../../streams/sources/airfoil';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';

/**
 * One epoch of airfoil (batch 10, shuffled with seed 1) through `gradients → optimize(opt) →
 * applyUpdates` on a fresh `linearRegression(5, { seed: 1 })`: each StepResult's
 * [loss, gradNorm, updateNorm].
 *
 * @example
 * expect(await airfoilNorms(adam())).toEqual(await airfoilNorms(withoutInPlace(adam())));
 */
export async function airfoilNorms(opt: Transform<any>): Promise<number[][]> {
  const model = linearRegression(5, { seed: 1 });
  const rs = await lastValueFrom(
    minibatches(airfoil(), { batchSize: 10, shuffle: true, seed: 1, epochs: 1 }).pipe(gradients(model.loss, model.params), optimize(opt), applyUpdates(model.params), toArray()),
  );
  model.dispose();
  return rs.map((r) => [r.loss, r.gradNorm, r.updateNorm]);
}

/**
 * The same transform without its in-place and array updates (they are not enumerable): what
 * `optimize` runs on the pure path.
 *
 * @example
 * hasInPlace(withoutInPlace(adam())); // false
 */
export function withoutInPlace<S>(t: Transform<S>): Transform<S> {
  const { init, update, hyper } = t;
  return { init, update, hyper };
}
