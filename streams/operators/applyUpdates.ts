import * as tf from '@tensorflow/tfjs';
import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { checkMatches } from '../../src/tree';
import { addUpdates } from '../../src/addUpdates';
import { values } from '../../src/kernels/values';
import { sumOfSquaresKernel } from '../../src/kernels/sumOfSquaresKernel';
import type { Params, Tensors } from '../../src/types';
import { operate } from '../operate';
import { linkScope } from '../RunScope';
import { disposeStep, type Step, type StepResult } from '../Step';

/** Options of `applyUpdates`. */
export interface ApplyUpdatesOptions {
  /** Names of (small) parameters whose values are reported in `StepResult.values`, e.g. `['x']` for 2-D traces. */
  readonly track?: readonly string[];
}

function sumOfSquares(tree: Tensors | undefined): number {
  let s = 0;
  if (tree) for (const name of Object.keys(tree)) s += sumOfSquaresKernel(values(tree[name]));
  return s;
}

/**
 * Apply each step's updates to the parameters and emit its metrics as plain numbers.
 *
 *   x_t[name] = x_{t-1}[name] + updates_t[name]
 *
 * 1. Every update must name a parameter and have its shape; a non-finite update, or one whose
 *    result x + u is not finite in float32 (an overflow: lr 1e38), fails the step naming the
 *    parameter, before anything is assigned (parameters are never corrupted). `skipNonFinite`
 *    in the optimizer skips and counts such steps instead.
 * 2. Emits a `StepResult` (step, epoch, loss, lr, hyper, gradient and update norms, examples,
 *    time) and frees every tensor the step held.
 *
 * @example
 * steps.pipe(gradients(loss, params), optimize(sgd({ lr: 0.1 })), applyUpdates(params))
 *   .subscribe((r) => console.log(r.step, r.loss));
 */
export function applyUpdates(params: Params, options: ApplyUpdatesOptions = {}): OperatorFunction<Step<any>, StepResult> {
  if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tf.Variable', params);
  const track = options.track ?? [];
  for (const name of track) if (!(params[name] instanceof tf.Variable)) throw new RxgradError('track', `names of parameters (${Object.keys(params).join(', ')})`, name);
  return operate<Step<any>, StepResult>((out) => ({
    next: (step) => {
      const updates = step.updates;
      if (!updates) throw new RxgradError('step.updates', 'updates (put optimize() before applyUpdates())', updates);
      checkMatches(updates, params, 'update');
      const updateSq = sumOfSquares(updates);
      if (!Number.isFinite(updateSq)) {
        const bad = Object.keys(updates).find((n) => !Number.isFinite(sumOfSquares({ [n]: updates[n] })));
        throw new RxgradError(`updates.${bad}`, 'finite values (use skipNonFinite() to skip such steps)', shown(`a non-finite update at step ${step.step}`));
      }
      addUpdates(params, updates);
      const tracked: Record<string, number[]> = {};
      for (const name of track) tracked[name] = Array.from(params[name].dataSync());
      const result: StepResult = {
        step: step.step,
        epoch: step.epoch,
        loss: step.loss ? step.loss.dataSync()[0] : NaN,
        lr: step.hyper.lr ?? NaN,
        hyper: step.hyper,
        gradNorm: Math.sqrt(sumOfSquares(step.grads)),
        updateNorm: Math.sqrt(updateSq),
        size: step.size,
        examples: step.examples,
        time: performance.now() - step.startedAt,
        wallTime: Date.now(),
        info: step.info ?? {},
        ...(track.length > 0 && { values: tracked }),
        ...(step.online && { online: step.online }),
      };
      linkScope(result, step.scope);
      disposeStep(step);
      out.next(result);
    },
    release: disposeStep,
  }));
}
