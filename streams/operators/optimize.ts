import type { Observable, OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import type { Params, Transform } from '../../src/types';
import { checkStateLayout, cloneState, restoreState, serializeState } from '../../src/state';
import { disposeReplaced, disposeTree } from '../../src/tree';
import { extend } from '../../src/extend';
import { inspectOptimizer, type InspectOptions } from '../../src/inspectOptimizer';
import type { SwappableTransform } from '../../src/swappable';
import { positiveInt } from '../../src/validate';
import { listen } from '../listen';
import { hasArrayUpdate, hasInPlace } from '../../src/optimizers/fusedChain';
import { fusable } from '../fused/fusion';
import { operate } from '../operate';
import type { RunScope } from '../RunScope';
import { advance, disposeStep, type Step } from '../Step';

/** Options of `optimize`. */
export interface OptimizeOptions<S> {
  /**
   * Start every subscription from a copy of this state (e.g. restored with `restoreState`)
   * instead of `transform.init`. The caller keeps it and frees it when done: each subscription
   * clones it, so `retry()`, `repeat()` and a second subscription all start from it.
   */
  readonly state?: S;
  /**
   * Called with the state after every update. The state stays the operator's and is freed by
   * the next update: to keep it, serialize it inside the callback (`serializeState(state)`,
   * JSON-able, restored with `restoreState(json, transform, params)`) or `cloneState` it.
   */
  readonly onState?: (state: S, step: number) => void;
  /** The key of this optimizer's state in the run's checkpoints (`step.scope`); default 'optimizer'. Two `optimize` in one pipeline need two keys. */
  readonly key?: string;
  /** `'drift'`: start the state afresh (`transform.init`) at every step where a `detectDrift` before this operator reported a drift. */
  readonly resetOn?: 'drift';
  /**
   * Names of the optimizer to swap to (the transform must be a `swappable`): each name applies
   * from the next step that reaches the operator (see 8 below).
   */
  readonly switchTo?: Observable<string>;
  /** Report the optimizer's per-parameter state every `every` steps in `info` (`inspectOptimizer`; see 9 below). */
  readonly inspect?: InspectOptions & { readonly every: number };
}

/**
 * Thread a transform's state through the stream and turn each step's gradients into updates.
 *
 *   (updates_t, state_t) = T.update(g_t, state_{t-1}, x_{t-1}, { step, epoch, hyper })
 *
 * 1. The state lives per subscription and starts, on the first step, from (a) the state the
 *    run's checkpoint holds under `key` (`step.scope.restored(key)`), else (b) a copy of
 *    `options.state`, else (c) `transform.init(params)`. (a) and (b) must fit the transform's
 *    state layout (`checkStateLayout`), or the step fails with an `RxgradError` naming the field.
 *    Copying (b) rather than taking it over is what lets a resubscription start again from it;
 *    it costs one clone per subscription.
 * 2. The state is registered with the step's run under `key` (`scope.register`), so a run's
 *    checkpoint (`scope.save()`) holds it as `serializeState` data.
 * 3. `step.hyper` is passed to the transform and completed with the values it used, so the
 *    metrics show exactly what was applied. A name the transform does not read
 *    (`transform.hyper`) fails the step with an `RxgradError` listing the valid ones: a
 *    hyperparameter is never reported as in force while nothing uses it.
 * 4. After each update the superseded state tensors are freed; the last state is freed on
 *    complete, error and unsubscribe. `onState` sees the state of the moment only (see above).
 * 5. A failing update leaves the state as it was and frees the step.
 * 6. The state is the operator's own (a copy, restored, or initialized): where the transform
 *    can update such state in place (`hasInPlace`: the fused optimizers on `cpu`), it does — no
 *    new moment arrays per update, and x + u computed in the same pass for `applyUpdates` (see
 *    `fusedChain`). The results are bit-identical to `transform.update`'s.
 * 7. With `resetOn: 'drift'`, a step whose `online.driftEvents` hold a drift is updated from a
 *    fresh `transform.init` state (the old one is freed); a step without drift detection fails.
 * 8. With `switchTo` (a `swappable` transform only), the latest name it emitted is handed to
 *    `transform.swap` before the next step's update: that step is the new optimizer's first
 *    (`info.optimizer`, `info.optimizerSince` say which and since when), its state starts afresh
 *    and the old one is freed; the swap is in the state, so the run's checkpoint keeps it. A name
 *    the transform does not have, or an error of `switchTo`, fails the run; the stream is
 *    unsubscribed when the run ends.
 * 9. With `inspect: { every: n }`, every step whose number is a multiple of n carries
 *    `inspectOptimizer(state, params, updates, hyper)` in `info` (`inspect.stepSize.<name>.p50` …).
 *    This is the "side stream" on purpose, not a second Observable: the numbers must be
 *    read from the state of the moment (the next update frees it), so they are taken inside this
 *    operator either way; riding in `info`, they stay aligned with their step, reach every sink
 *    the StepResult reaches (the dashboard's band charts through `wsMetrics`, `jsonl` files) with
 *    no extra subscription to manage or leak, and cost nothing when `inspect` is unset or between
 *    multiples of n. A separate stream is one filter away:
 *    `results.pipe(filter((r) => r.step % n === 0), map((r) => r.info))`.
 * 10. With a transform that runs on arrays (`hasArrayUpdate`: the fused optimizers) and none of
 *    `resetOn`, `switchTo`, `inspect`, `onState`, it takes part in `applyUpdates`' fused path:
 *    the update then runs on arrays (`updateArrays`), with 1–5 as above.
 *
 * @example
 * steps.pipe(gradients(loss, params), optimize(adam({ lr: 0.01 })), applyUpdates(params));
 */
export function optimize<S>(transform: Transform<S>, options: OptimizeOptions<S> = {}): OperatorFunction<Step<any>, Step<any>> {
  if (!transform || typeof transform.init !== 'function' || typeof transform.update !== 'function') {
    throw new RxgradError('transform', 'a Transform { init, update }', transform);
  }
  if (options.resetOn !== undefined && options.resetOn !== 'drift') throw new RxgradError('resetOn', "'drift' or undefined", options.resetOn);
  if (!Array.isArray(transform.hyper)) throw new RxgradError('transform.hyper', 'the names of the hyperparameters the transform reads', transform.hyper);
  const inPlace = hasInPlace(transform);
  const key = options.key ?? 'optimizer';
  const swapper = transform as unknown as Partial<SwappableTransform>;
  if (options.switchTo !== undefined && (typeof options.switchTo?.subscribe !== 'function' || typeof swapper.swap !== 'function')) {
    throw new RxgradError('switchTo', 'an Observable of optimizer names, with a swappable() transform', typeof swapper.swap === 'function' ? options.switchTo : shown('switchTo with a transform that is not swappable()'));
  }
  const inspect = options.inspect;
  if (inspect !== undefined) positiveInt('inspect.every', inspect?.every);
  if (typeof key !== 'string' || key.length === 0) throw new RxgradError('key', 'a non-empty string', key);
  const reads = new Set(transform.hyper);
  const checkHyper = (step: Step<any>): void => {
    for (const name in step.hyper) {
      if (!reads.has(name)) {
        const valid = transform.hyper.length > 0 ? `one of ${transform.hyper.join(', ')}` : 'none: this transform reads no hyperparameter';
        throw new RxgradError(`hyper.${name}`, `a hyperparameter the transform reads (${valid})`, shown(`a value nothing would use, at step ${step.step}`));
      }
    }
  };
  const start = (scope: RunScope | undefined, params: Params): S => {
    const restored = scope?.restored(key);
    if (restored !== undefined) return restoreState(restored, transform, params);
    if (options.state === undefined) return transform.init(params);
    checkStateLayout(options.state, transform, params, 'options.state');
    return cloneState(options.state);
  };
  const drifted = (step: Step<any>): boolean => {
    const events = step.online?.driftEvents;
    if (!events) throw new RxgradError('step.online.driftEvents', 'drift detection before optimize (put detectDrift() before it)', shown(`none at step ${step.step}`));
    return events.some((e) => e.status === 'drift');
  };
  const operator = operate<Step<any>, Step<any>>((out) => {
    let state: S | undefined;
    let checked: Step<any>['hyper'] | undefined;
    let registered: RunScope | undefined;
    let requested: string | undefined;
    const switching =
      options.switchTo &&
      listen(options.switchTo, out, (name) => {
        if (!swapper.names!.includes(name)) throw new RxgradError('switchTo', `one of ${swapper.names!.join(', ')}`, name);
        requested = name;
      });
    return {
      next: (step) => {
        if (!step.grads || !step.params) throw new RxgradError('step.grads', 'gradients (put gradients() before optimize())', step.grads);
        if (step.hyper !== checked) {
          checkHyper(step);
          checked = step.hyper;
        }
        const reset = options.resetOn !== undefined && drifted(step);
        if (state === undefined) state = start(step.scope, step.params);
        else if (reset) {
          disposeTree(state);
          state = transform.init(step.params);
        }
        if (requested !== undefined) {
          const swapped = swapper.swap!(state as never, requested, step.params, step.step) as S;
          disposeReplaced(state, swapped);
          state = swapped;
          requested = undefined;
        }
        if (step.scope && step.scope !== registered) {
          step.scope.register(key, { save: () => serializeState(state) });
          registered = step.scope;
        }
        const ctx = { step: step.step, epoch: step.epoch, hyper: step.hyper };
        const r = inPlace ? transform.updateInPlace(step.grads, state, step.params, ctx) : transform.update(step.grads, state, step.params, ctx);
        disposeReplaced(state, r.state);
        state = r.state;
        const used = r.used ? extend(step.hyper, r.used) : step.hyper;
        let info = r.info ? extend(step.info ?? {}, r.info) : (step.info ?? {});
        if (inspect && step.step % inspect.every === 0) info = extend(info, inspectOptimizer(state, step.params, r.updates, used, inspect));
        const next = advance(step, { updates: r.updates, hyper: used, info });
        try {
          options.onState?.(state, step.step);
        } catch (err) {
          disposeStep(next);
          throw err;
        }
        out.next(next);
      },
      release: disposeStep,
      teardown: () => {
        switching?.unsubscribe();
        disposeTree(state);
      },
    };
  });
  const simple = options.resetOn === undefined && options.switchTo === undefined && inspect === undefined && options.onState === undefined;
  return simple && hasArrayUpdate(transform) ? fusable(operator, { stage: 'optimize', transform, key, start, checkHyper }) : operator;
}
