import type { Observable, Subscriber } from 'rxjs';
import { arrayTrainer } from '../../src/fast/arrayTrainer';
import { nonFiniteSum } from '../../src/addUpdates';
import { extend } from '../../src/extend';
import { sameEntries } from '../../src/sameEntries';
import type { ArrayTransform } from '../../src/optimizers/fusedChain';
import { serializeState } from '../../src/state';
import { disposeReplaced, disposeTree } from '../../src/tree';
import type { Hyper, Params } from '../../src/types';
import { nonFiniteUpdate, stepResult } from '../operators/applyUpdates';
import { operate, type OperatorHandlers } from '../operate';
import { watchRuns } from '../watchRuns';
import type { RunScope } from '../RunScope';
import { disposeStep, type Step, type StepResult } from '../Step';
import type { FusedPlan } from './fusedPlan';
import type { PassStage } from './fusion';

/** What a fused result adds to `info`. */
const FUSED = { fused: 1 } as const;

/**
 * The fused run of a pipeline (see `applyUpdates`, 3, and `fusedPlan`): the source's rows
 * (`plan.rows.steps`), the tensor-free operators applied to them as they are, then one operator
 * that for each step
 *
 *   loss_t, g_t = L(x_{t−1}; batch_t), ∂L/∂x   →   (u_t, state_t) = T(g_t, state_{t−1}, x_{t−1}, { step, epoch, hyper })   →   x_t = x_{t−1} + u_t
 *
 * on arrays (`arrayTrainer`) and emits the step's `StepResult`:
 *
 * 1. The batch is read as `gradients` reads it (same checks and errors); the step's
 *    hyperparameters are checked as `optimize` checks them (a name the transform does not read
 *    fails the step).
 * 2. The optimizer's state starts as `optimize`'s does (the run's checkpoint under its key, a copy
 *    of `options.state`, or `init`) and is registered with the run under that key as
 *    `serializeState` data: a checkpoint of a fused run resumes on the general path and back.
 * 3. A non-finite update, or x + u, fails the step naming the parameter, as `applyUpdates` does,
 *    before any parameter is assigned.
 * 4. The result has `applyUpdates`' fields (`stepResult`) and `info.fused` = 1; it is emitted
 *    after the parameters hold x_t, and a downstream unsubscribe (`take(n)`) stops the source
 *    before its next step (`operate`, `drive`).
 * 5. The gradient tensors (one per parameter, made once) and the state are freed on complete,
 *    error and unsubscribe; a step is finished with its run (`scope.finish`) once its result is
 *    built (it holds no tensor), and freed (`disposeStep`) when its update fails.
 * 6. The passes (`PassFusion.handlers`: `progressiveValidation`, `learningRate`, `hyper`,
 *    `override`) and the training run as one operator: for each step, each pass's handler and
 *    then the training's are called one after the other, with no RxJS subscriber between them.
 *    Each pass keeps its own subscriptions to its side streams (hyperparameter streams, labels),
 *    whose errors fail the run; a throw in any stage fails the run with that error; at the end
 *    each pass's `complete` (a flush) runs in pipeline order and feeds the stages after it;
 *    teardowns run once, passes first; the runs the source opens while subscribed are handed to
 *    the passes (`watchRuns`).
 *
 * @example
 * fusedSteps(fusedPlan(steps, params)!, params, []).subscribe((r) => console.log(r.loss, r.info.fused)); // 1
 */
export function fusedSteps(plan: FusedPlan, params: Params, track: readonly string[]): Observable<StepResult> {
  const { optimize, rows } = plan;
  const transform = optimize.transform as ArrayTransform<unknown>;
  // Read once: each pipeline's stage records are objects of their own, so reading them per step would see a new shape per run.
  const { checkHyper, key } = optimize;
  const arrays = rows.arrays;
  // The training stage's setup per subscription (after the passes).
  const training = (out: Subscriber<StepResult>): OperatorHandlers<Step<any>> => {
    const trainer = arrayTrainer(plan.gradients.analytic, params, transform);
    // The optimizer's context, rewritten per step (`arrayTrainer` copies what it keeps of it).
    const ctx: { step: number; epoch: number; hyper: Hyper } = { step: 0, epoch: 0, hyper: {} };
    let state: unknown;
    let checked: Step<any>['hyper'] | undefined;
    let registered: RunScope | undefined;
    // The result's hyperparameters, extend(step.hyper, used): merged again only when the values of either change (sources
    // make a new, usually empty, step.hyper per step), copied per result.
    let from: Hyper = {};
    let fromCount = -1;
    let usedBefore: Hyper = {};
    let usedCount = -1;
    // The optimizer's last `used` record itself (a readonly record it gives again while its values hold).
    let usedRecord: Hyper | undefined;
    let merged: Hyper = {};
    const hyperOf = (stepHyper: Hyper, used: Hyper): Hyper => {
      if (!sameEntries(stepHyper, from, fromCount) || (used !== usedRecord && !sameEntries(used, usedBefore, usedCount))) {
        merged = extend(stepHyper, used);
        from = { ...stepHyper };
        fromCount = Object.keys(stepHyper).length;
        usedBefore = { ...used };
        usedCount = Object.keys(used).length;
      }
      usedRecord = used;
      return { ...merged };
    };
    return {
      next: (step) => {
        const batch = arrays(step.batch);
        if (step.hyper !== checked) {
          checkHyper(step);
          checked = step.hyper;
        }
        if (state === undefined) state = optimize.start(step.scope, params);
        if (step.scope && step.scope !== registered) {
          step.scope.register(key, { save: () => serializeState(state) });
          registered = step.scope;
        }
        ctx.step = step.step;
        ctx.epoch = step.epoch;
        ctx.hyper = step.hyper;
        const r = trainer.step(state, batch.x, batch.y, batch.n, ctx);
        if (r.replaced) disposeReplaced(state, r.state);
        state = r.state;
        if ('refused' in r) throw r.refused === 'update' ? nonFiniteUpdate(r.name, step.step) : nonFiniteSum(r.name);
        const hyper = hyperOf(step.hyper, r.used);
        const result = stepResult(step, { loss: r.loss, gradNorm: r.gradNorm, updateNorm: r.updateNorm, info: step.info ? extend(step.info, FUSED) : { fused: 1 }, hyper }, params, track);
        // A fused step holds no tensor (its batch is typed-array rows): finishing it with its run is all `disposeStep` would do.
        step.scope?.finish(step);
        out.next(result);
      },
      release: disposeStep,
      teardown: () => {
        trainer.dispose();
        disposeTree(state);
      },
    };
  };
  const stages = plan.passes;
  // One operator: the passes' stages and the training stage called one after the other (6).
  let onRun: ((scope: RunScope) => void) | undefined;
  const run = operate<Step<any>, StepResult>((subscriber) => {
    const train = training(subscriber);
    const built: PassStage[] = [];
    const teardown = () => {
      for (const stage of built) stage.teardown?.();
      train.teardown?.();
    };
    let head = (step: Step<any>) => train.next(step);
    try {
      for (let i = stages.length - 1; i >= 0; i--) {
        const stage = stages[i]({ next: head, error: (err) => subscriber.error(err) });
        built.unshift(stage);
        head = (step) => stage.next(step);
      }
    } catch (err) {
      teardown();
      throw err;
    }
    onRun = (scope) => {
      for (const stage of built) stage.run?.(scope);
    };
    return {
      next: head,
      complete: () => {
        for (const stage of built) stage.complete?.();
      },
      release: disposeStep,
      teardown,
    };
  });
  // The runs the source opens while subscribed, to the stages of the subscription being set up (its setup ran just before).
  return watchRuns(rows.steps as Observable<Step<any>>, (scope) => onRun?.(scope)).pipe(run);
}
