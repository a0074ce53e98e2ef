import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import type { Transform } from '../../src/types';
import { disposeReplaced, disposeTree } from '../../src/tree';
import { extend } from '../../src/extend';
import { operate } from '../operate';
import { advance, disposeStep, type Step } from '../Step';

/** Options of `optimize`. */
export interface OptimizeOptions<S> {
  /** Start from this state (e.g. restored from a checkpoint) instead of `transform.init`. The operator takes ownership. */
  readonly state?: S;
  /** Called with the state after every update (it stays owned by the operator: copy what you keep). */
  readonly onState?: (state: S, step: number) => void;
  /** `'drift'`: start the state afresh (`transform.init`) at every step where a `detectDrift` before this operator reported a drift. */
  readonly resetOn?: 'drift';
}

/**
 * Thread a transform's state through the stream and turn each step's gradients into updates.
 *
 *   (updates_t, state_t) = T.update(g_t, state_{t-1}, x_{t-1}, { step, epoch, hyper })
 *
 * 1. The state is created from the step's parameters on the first step (or taken from
 *    `options.state`), and lives per subscription.
 * 2. `step.hyper` is passed to the transform and completed with the values it used, so the
 *    metrics show exactly what was applied.
 * 3. After each update the superseded state tensors are freed; the last state is freed on
 *    complete, error and unsubscribe.
 * 4. A failing update leaves the state as it was and frees the step.
 * 5. With `resetOn: 'drift'`, a step whose `online.driftEvents` hold a drift is updated from a
 *    fresh `transform.init` state (the old one is freed); a step without drift detection fails.
 *
 * @example
 * steps.pipe(gradients(loss, params), optimize(adam({ lr: 0.01 })), applyUpdates(params));
 */
export function optimize<S>(transform: Transform<S>, options: OptimizeOptions<S> = {}): OperatorFunction<Step<any>, Step<any>> {
  if (!transform || typeof transform.init !== 'function' || typeof transform.update !== 'function') {
    throw new RxgradError('transform', 'a Transform { init, update }', transform);
  }
  if (options.resetOn !== undefined && options.resetOn !== 'drift') throw new RxgradError('resetOn', "'drift' or undefined", options.resetOn);
  const drifted = (step: Step<any>): boolean => {
    const events = step.online?.driftEvents;
    if (!events) throw new RxgradError('step.online.driftEvents', 'drift detection before optimize (put detectDrift() before it)', shown(`none at step ${step.step}`));
    return events.some((e) => e.status === 'drift');
  };
  return operate<Step<any>, Step<any>>((out) => {
    let state: S | undefined = options.state;
    return {
      next: (step) => {
        if (!step.grads || !step.params) throw new RxgradError('step.grads', 'gradients (put gradients() before optimize())', step.grads);
        if (options.resetOn && drifted(step) && state !== undefined) {
          disposeTree(state);
          state = undefined;
        }
        if (state === undefined) state = transform.init(step.params);
        const r = transform.update(step.grads, state, step.params, { step: step.step, epoch: step.epoch, hyper: step.hyper });
        disposeReplaced(state, r.state);
        state = r.state;
        const info = r.info ? extend(step.info ?? {}, r.info) : (step.info ?? {});
        const next = advance(step, { updates: r.updates, hyper: r.used ? extend(step.hyper, r.used) : step.hyper, info });
        try {
          options.onState?.(state, step.step);
        } catch (err) {
          disposeStep(next);
          throw err;
        }
        out.next(next);
      },
      release: disposeStep,
      teardown: () => disposeTree(state),
    };
  });
}
