import * as tf from '@tensorflow/tfjs';
import type { OperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import type { HyperValue, Params } from '../../src/types';
import { samGrads } from '../../src/samGrads';
import { hyperOption, resolveHyper } from '../../src/resolveHyper';
import { extend } from '../../src/extend';
import { withDefaults } from '../../src/transforms/withDefaults';
import { operate } from '../operate';
import { advance, disposeStep, type Step } from '../Step';
import type { LossFn } from './gradients';

/** Options of `samGradients`. */
export interface SamGradientsOptions {
  /** Radius ρ ≥ 0 of the neighbourhood (0.05, the paper's and `davda54/sam`'s default): a number or a schedule of the step. */
  readonly rho?: HyperValue;
}

/**
 * Defaults of `samGradients`: ρ = 0.05 (Foret et al. and `davda54/sam`).
 *
 * @example
 * samGradientsDefaults.rho; // 0.05
 */
export const samGradientsDefaults: Readonly<Required<SamGradientsOptions>> = { rho: 0.05 };

/**
 * `gradients` for SAM (sharpness-aware minimization, Foret et al. 2021): a two-pass step whose
 * gradient is taken at the worst nearby point (see `samGrads`).
 *
 *   loss_t = L(x_{t-1}; batch_t),   ε = ρ·g/‖g‖,   g_t = ∇L(x_{t-1} + ε; batch_t)
 *
 * 1. Replaces `gradients` in a pipeline: sets `step.loss` (at x, before the perturbation),
 *    `step.grads` (the SAM gradient, at x + ε) and `step.params`. The base optimizer is any
 *    transform: `optimize(sgd({ lr, momentum }))` after it makes the paper's SAM-SGD — the
 *    update x_t = x_{t-1} + T(g_SAM) starts from x_{t-1}, not from x + ε. Schedules,
 *    `accumulate`, parameter groups and `lookahead` compose as with `gradients`.
 * 2. The parameters are back at x_{t-1} exactly when the step leaves the operator, also when
 *    the loss throws (the step is then freed and the stream fails).
 * 3. ρ is reported as `info['sam.rho']`; `StepResult.gradNorm` is the SAM gradient's norm.
 * 4. Both passes run on tfjs's general path (`valueAndGrads`): twice the cost of `gradients`;
 *    a model's analytic fast path is not used.
 *
 * @example
 * minibatches(data, { batchSize: 10 }).pipe(samGradients(model.loss, model.params, { rho: 0.05 }), optimize(sgd({ lr: 0.05 })), applyUpdates(model.params));
 */
export function samGradients<B>(loss: LossFn<B>, params: Params, options: SamGradientsOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  if (typeof loss !== 'function') throw new RxgradError('loss', 'a function (params, batch) => scalar tensor', loss);
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  for (const name of Object.keys(params)) if (!(params[name] instanceof tf.Variable)) throw new RxgradError(`params.${name}`, 'a tf.Variable', params[name]);
  const interval = { min: 0 };
  const rho = hyperOption('options.rho', withDefaults('samGradients', options, samGradientsDefaults).rho, interval);
  return operate<Step<B>, Step<B>>((out) => ({
    next: (step) => {
      const r = resolveHyper('options.rho', rho, { step: step.step, epoch: step.epoch }, step.step, interval);
      const { value, grads } = samGrads(() => loss(params, step.batch), params, r);
      out.next(advance(step, { params, loss: value, grads, info: extend(step.info ?? {}, { 'sam.rho': r }) }));
    },
    release: disposeStep,
  }));
}
