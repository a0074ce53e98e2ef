import type { Observable, OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { oneOf } from '../../src/schedules/oneOf';
import { plateau, type PlateauOptions, type PlateauState } from '../../src/schedules/plateau';
import { positiveInt } from '../../src/validate';
import { extend } from '../../src/extend';
import { listen } from '../listen';
import { operate } from '../operate';
import type { RunScope } from '../RunScope';
import { advance, disposeStep, type Step } from '../Step';

/** One measurement fed to `reduceOnPlateau`: taken after step `step` (of epoch `epoch`). */
export interface Metric {
  readonly step: number;
  readonly epoch: number;
  readonly value: number;
}

/** Options of `reduceOnPlateau`: PyTorch's `ReduceLROnPlateau` options plus how it is wired. */
export interface ReduceOnPlateauOptions extends PlateauOptions {
  /** The hyperparameter to reduce (default 'lr'). */
  readonly name?: string;
  /** One metric per step (default) or one per epoch (a validation loss after each epoch). */
  readonly every?: 'step' | 'epoch';
  /** Start from this saved state (a resumed run) instead of a fresh one. */
  readonly state?: PlateauState;
  /** Called with the new state after every metric (plain JSON: save it with the checkpoint). */
  readonly onState?: (state: PlateauState) => void;
  /** The key of this operator's state in the run's checkpoints (`step.scope`); default 'plateau'. */
  readonly key?: string;
}

/**
 * PyTorch's `ReduceLROnPlateau` as an operator, driven by a metric stream — typically the
 * run's own `StepResult`s fed back through a `Subject`, or a validation loss.
 *
 * 1. Each metric advances the `plateau` state machine (see `plateau` for the rules); its value
 *    starts at `initial` (default 1) and is multiplied by `factor` on a plateau.
 * 2. On each step, hyper[name] = upstream · value when an upstream operator put hyper[name] on
 *    the step (cosine × plateau), else value. `info['plateau.<name>']` reports the value.
 * 3. Determinism: the value used at step t depends on exactly the metrics of steps 1 … t − 1
 *    (`every: 'epoch'`: of the epochs before t's). Metrics must come once per step (epoch), in
 *    order; when step t arrives, the metric of t − 1 must be in — which holds when the metric
 *    is computed synchronously downstream (a `tap` after `applyUpdates`). A missing, repeated or
 *    early metric fails the run with an `RxgradError` instead of silently changing the values.
 * 4. The state (a plain JSON object) is reported through `onState` and restored with `state`,
 *    so a run resumed at step k + 1 with the state after metric k uses identical values.
 * 5. The metric stream is subscribed before the steps and unsubscribed when the run ends; its
 *    error fails the run.
 * 6. Checkpoints: the state is registered with the step's run under `key` (`scope.register`);
 *    when the run resumes from a checkpoint holding `key` (`scope.restored(key)` on the first
 *    step), that state replaces `options.state`.
 *
 * @example
 * const metrics = new Subject<Metric>();
 * steps.pipe(
 *   gradients(loss, params),
 *   learningRate(cosine({ base: 0.1, tMax: 1000 })),
 *   reduceOnPlateau(metrics, { factor: 0.5, patience: 10 }),
 *   optimize(sgd()),
 *   applyUpdates(params),
 *   tap((r) => metrics.next({ step: r.step, epoch: r.epoch, value: r.loss })),
 * );
 */
export function reduceOnPlateau<B>(metrics: Observable<Metric>, options: ReduceOnPlateauOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  if (!metrics || typeof metrics.subscribe !== 'function') throw new RxgradError('metrics', 'an Observable of { step, epoch, value }', metrics);
  const name = options.name ?? 'lr';
  if (typeof name !== 'string' || name.length === 0) throw new RxgradError('name', 'a hyperparameter name', name);
  const every = oneOf('every', options.every ?? 'step', ['step', 'epoch'] as const);
  const p = plateau(options);
  const start = options.state === undefined ? p.init() : p.restore(options.state);
  if (options.onState !== undefined && typeof options.onState !== 'function') throw new RxgradError('onState', 'a function', options.onState);
  const key = options.key ?? 'plateau';
  if (typeof key !== 'string' || key.length === 0) throw new RxgradError('key', 'a non-empty string', key);
  return operate<Step<B>, Step<B>>((out) => {
    let state = start;
    let reached = state.count; // the last step (epoch) that reached the operator
    let registered: RunScope | undefined;
    const subscription = listen(metrics, out, (m) => {
      if (m === null || typeof m !== 'object') throw new RxgradError('metric', 'an object { step, epoch, value }', m);
      const unit = positiveInt(`metric.${every}`, m[every]);
      if (unit !== state.count + 1) throw new RxgradError(`metric.${every}`, `${state.count + 1} (one metric per ${every}, in order)`, unit);
      if (unit > reached) throw new RxgradError(`metric.${every}`, `≤ ${reached} (a ${every} that has run)`, unit);
      state = p.update(state, m.value);
      options.onState?.(state);
    });
    return {
      next: (step) => {
        if (step.scope && step.scope !== registered) {
          const restored = registered === undefined ? step.scope.restored(key) : undefined;
          if (restored !== undefined) reached = (state = p.restore(restored)).count;
          step.scope.register(key, { save: () => state });
          registered = step.scope;
        }
        const unit = every === 'step' ? step.step : step.epoch;
        if (state.count < unit - 1) {
          const had = state.count === 0 ? 'no metric yet' : `metrics up to ${every} ${state.count}`;
          throw new RxgradError('metrics', `the metric of ${every} ${unit - 1} before step ${step.step} (feed it back synchronously)`, shown(had));
        }
        if (state.count > unit - 1) {
          throw new RxgradError(`metric.${every}`, `to arrive after the last step of ${every} ${state.count}`, shown(`it before step ${step.step} (${every} ${unit})`));
        }
        reached = unit;
        const upstream = step.hyper[name];
        const value = upstream === undefined ? state.value : upstream * state.value;
        out.next(advance(step, { hyper: extend(step.hyper, { [name]: value }), info: extend(step.info ?? {}, { [`plateau.${name}`]: state.value }) }));
      },
      release: disposeStep,
      teardown: () => subscription.unsubscribe(),
    };
  });
}
