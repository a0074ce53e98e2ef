import * as tf from '@tensorflow/tfjs';
import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import type { Params } from '../../src/types';
import { valueAndGrads } from '../../src/valueAndGrads';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { analyticGrads, fitsParams } from '../../src/fast/analyticGrads';
import { stepWork, useFastPath } from '../../src/fast/useFastPath';
import { operate } from '../operate';
import { advance, disposeStep, type Step } from '../Step';
import { fusable } from '../fused/fusion';

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

/** Options of `gradients`. */
export interface GradientsOptions {
  /**
   * The fast path for a loss that carries its analytic gradient (rxgrad's own models, see
   * `analyticGrads`): `'auto'` (default) where `FAST_BACKENDS` measured it faster (cpu always;
   * wasm for steps of up to 65,536 multiply-adds, `stepWork`); `true` on every backend; `false`
   * never (always tfjs's autodiff).
   */
  readonly fast?: boolean | 'auto';
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
 * 5. Fast path: when `loss` is a model's loss carrying its analytic gradient (`analyticOf`),
 *    `params` are exactly that model's parameters, `options.fast` allows it on the backend in
 *    force (checked at every step) and the batch is one the analytic pass takes, the loss and
 *    gradients are computed on arrays (`analyticGrads`) — the same fields, the same values to
 *    ~1e-7 relative, no autodiff. Anything else takes tfjs's autodiff.
 * 6. With such a loss (and `fast` not `false`), it takes part in `applyUpdates`' fused path: the
 *    loss and gradients are then computed into arrays made once, with no tensor per step.
 *
 * @example
 * minibatches(data, { batchSize: 10 }).pipe(
 *   gradients((p, { xs, ys }) => tf.losses.meanSquaredError(ys, xs.matMul(p.w)), params),
 * );
 */
export function gradients<B>(loss: LossFn<B>, params: Params, options: GradientsOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  if (typeof loss !== 'function') throw new RxgradError('loss', 'a function (params, batch) => scalar tensor', loss);
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) {
    throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  }
  const names = Object.keys(params);
  for (const name of names) {
    if (!(params[name] instanceof tf.Variable)) throw new RxgradError(`params.${name}`, 'a tf.Variable', params[name]);
  }
  const fast = options.fast ?? 'auto';
  if (fast !== true && fast !== false && fast !== 'auto') throw new RxgradError('options.fast', "true, false or 'auto'", fast);
  const candidate = analyticOf(loss);
  const analytic = fast !== false && candidate && fitsParams(candidate, params) ? candidate : undefined;
  const values = names.reduce((sum, name) => sum + params[name].size, 0);
  const operator = operate<Step<B>, Step<B>>((out) => ({
    next: (step) => {
      checkNotFreed(step);
      const quick = analytic && useFastPath(fast, stepWork(values, step.batch as never)) ? analyticGrads(analytic, params, step.batch as never) : undefined;
      const { value, grads } = quick ?? valueAndGrads(() => loss(params, step.batch), params);
      out.next(advance(step, { params, loss: value, grads }));
    },
    release: disposeStep,
  }));
  return analytic ? fusable(operator, { stage: 'gradients', analytic, params }) : operator;
}
