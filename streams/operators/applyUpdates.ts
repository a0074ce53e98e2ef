import * as tf from '@tensorflow/tfjs';
import { Observable, type OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { checkMatches } from '../../src/tree';
import { addUpdates } from '../../src/addUpdates';
import { sumOfSquaresOf } from '../../src/kernels/wasm/sumOfSquaresOf';
import type { Params, Tensors } from '../../src/types';
import { operate } from '../operate';
import { ResultRecord, type ResultFigures } from '../ResultRecord';
import { disposeStep, type Step, type StepResult } from '../Step';
import { fusedPlan } from '../fused/fusedPlan';
import { fusedSteps } from '../fused/fusedSteps';

/** Options of `applyUpdates`. */
export interface ApplyUpdatesOptions {
  /** Names of (small) parameters whose values are reported in `StepResult.values`, e.g. `['x']` for 2-D traces. */
  readonly track?: readonly string[];
}

function sumOfSquares(tree: Tensors | undefined): number {
  let s = 0;
  if (tree) for (const name of Object.keys(tree)) s += sumOfSquaresOf(tree[name]);
  return s;
}

/**
 * The error of a step whose update for parameter `name` is not finite.
 *
 * @example
 * throw nonFiniteUpdate('w', 3); // "Expected `updates.w` finite values (use skipNonFinite() …), got a non-finite update at step 3"
 */
export function nonFiniteUpdate(name: string, step: number): RxgradError {
  return new RxgradError(`updates.${name}`, 'finite values (use skipNonFinite() to skip such steps)', shown(`a non-finite update at step ${step}`));
}

/**
 * The `StepResult` of `step` once its update is applied: the step's fields, its hyperparameters
 * (`lr` among them; `figures.hyper` instead when given), the given figures, the tracked
 * parameters' values, its online report; linked to the step's run (`scopeOf`).
 *
 * @example
 * const result = stepResult(step, { loss: 0.5, gradNorm: 1, updateNorm: 0.1, info: {} }, params, ['x']);
 */
export function stepResult(
  step: Step<unknown>,
  figures: ResultFigures,
  params: Params,
  track: readonly string[],
): StepResult {
  let tracked: Record<string, number[]> | undefined;
  if (track.length > 0) {
    tracked = {};
    for (const name of track) tracked[name] = Array.from(params[name].dataSync());
  }
  const result = new ResultRecord(step, figures, step.scope);
  // Optional fields appended by assignment (same keys, same order as spreads, without their cost per step).
  if (tracked) result.values = tracked;
  if (step.online) result.online = step.online;
  return result;
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
 * 3. The fused path (Keras's `steps_per_execution`, JAX's `lax.scan`): when this operator is
 *    subscribed on `cpu` and the pipeline above it is, unbroken, a source that can give its
 *    batches as typed-array rows (`minibatches` of a flat table, `replay`, `fromExamples`),
 *    operators that touch no tensor (`progressiveValidation`, `learningRate`, `hyper`,
 *    `override`), `gradients` with a loss carrying its analytic gradient over exactly these
 *    parameters, and `optimize` with a transform that has an array kernel (`hasArrayUpdate`: sgd,
 *    momentum, nesterov, adam, adamw, adamax, adagrad, rmsprop, adadelta) and none of `resetOn`,
 *    `switchTo`, `inspect`, `onState` — the steps run in one loop with no tensor per step
 *    (`fusedSteps`): the other operators are applied to the source as they are (their streams,
 *    state, checkpoint parts and errors are theirs), and gradient, update and assignment run on
 *    the parameters' own storage (`arrayTrainer`). Each result has the fields and values of the
 *    general path (to float32 rounding; `info.fused` is 1), the parameters are those after its
 *    step when it is emitted (a `take(n)` stops after exactly n updates), and the optimizer's
 *    state is checkpointed under the same key in the same format. Anything else — a user's
 *    `map` or `tap` in between, another loss, optimizer or backend, `gradients(…, { fast: false })`
 *    — takes the general path, per subscription.
 *
 * @example
 * steps.pipe(gradients(loss, params), optimize(sgd({ lr: 0.1 })), applyUpdates(params))
 *   .subscribe((r) => console.log(r.step, r.loss, r.info.fused)); // fused 1 for rxgrad's models on cpu
 */
export function applyUpdates(params: Params, options: ApplyUpdatesOptions = {}): OperatorFunction<Step<any>, StepResult> {
  if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tf.Variable', params);
  const track = options.track ?? [];
  for (const name of track) if (!(params[name] instanceof tf.Variable)) throw new RxgradError('track', `names of parameters (${Object.keys(params).join(', ')})`, name);
  const general = operate<Step<any>, StepResult>((out) => ({
    next: (step) => {
      const updates = step.updates;
      if (!updates) throw new RxgradError('step.updates', 'updates (put optimize() before applyUpdates())', updates);
      checkMatches(updates, params, 'update');
      const updateSq = sumOfSquares(updates);
      if (!Number.isFinite(updateSq)) {
        const bad = Object.keys(updates).find((n) => !Number.isFinite(sumOfSquares({ [n]: updates[n] })));
        throw nonFiniteUpdate(bad!, step.step);
      }
      addUpdates(params, updates);
      const result = stepResult(step, { loss: step.loss ? step.loss.dataSync()[0] : NaN, gradNorm: Math.sqrt(sumOfSquares(step.grads)), updateNorm: Math.sqrt(updateSq), info: step.info ?? {} }, params, track);
      disposeStep(step);
      out.next(result);
    },
    release: disposeStep,
  }));
  return (source) => {
    const plan = fusedPlan(source, params);
    if (plan === undefined) return general(source);
    return new Observable<StepResult>((subscriber) => (plan.runs() ? fusedSteps(plan, params, track) : general(source)).subscribe(subscriber));
  };
}
