import * as tf from '@tensorflow/tfjs';
import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import type { Params } from '../../src/types';
import { valueAndGrads } from '../../src/valueAndGrads';
import { operate } from '../operate';
import { advance, disposeStep, type Step } from '../Step';

/** A loss: a scalar tensor computed from the parameters and one batch. */
export type LossFn<B> = (params: Params, batch: B) => tf.Scalar;

/** A step's batch tensors must be alive: one freed means the step was trained already (two pipelines on one `share()`d source). */
function checkNotFreed(step: Step<unknown>): void {
  const batch = step.batch;
  if (batch === null || typeof batch !== 'object') return;
  for (const key of Object.keys(batch)) {
    const t = (batch as Record<string, unknown>)[key];
    if (t instanceof tf.Tensor && t.isDisposed) {
      throw new RxgradError(`step.batch.${key}`, 'a tensor not yet freed (a step is trained once: give each pipeline its own subscription of the source, not a share()d one)', shown(`a freed tensor at step ${step.step}`));
    }
  }
}

/**
 * Compute the minibatch loss and its gradient with respect to every named parameter.
 *
 *   loss_t = L(x_{t-1}; batch_t),   g_t[name] = ∂loss_t / ∂x[name]
 *
 * 1. Sets `step.loss`, `step.grads` (keyed by the names in `params`) and `step.params`.
 * 2. A loss that is not a scalar tensor fails the step, naming its shape.
 * 3. The step's tensors are freed when the loss function throws, and so is the gradient tape
 *    (see `valueAndGrads`).
 * 4. A step whose batch tensors were already freed fails with an `RxgradError` naming the field
 *    (a step trained twice: two pipelines on one `share()`d source).
 *
 * @example
 * minibatches(data, { batchSize: 10 }).pipe(
 *   gradients((p, { xs, ys }) => tf.losses.meanSquaredError(ys, xs.matMul(p.w)), params),
 * );
 */
export function gradients<B>(loss: LossFn<B>, params: Params): OperatorFunction<Step<B>, Step<B>> {
  if (typeof loss !== 'function') throw new RxgradError('loss', 'a function (params, batch) => scalar tensor', loss);
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) {
    throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  }
  const names = Object.keys(params);
  for (const name of names) {
    if (!(params[name] instanceof tf.Variable)) throw new RxgradError(`params.${name}`, 'a tf.Variable', params[name]);
  }
  return operate<Step<B>, Step<B>>((out) => ({
    next: (step) => {
      checkNotFreed(step);
      const { value, grads } = valueAndGrads(() => loss(params, step.batch), params);
      out.next(advance(step, { params, loss: value, grads }));
    },
    release: disposeStep,
  }));
}
