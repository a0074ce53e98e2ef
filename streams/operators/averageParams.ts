import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import type { Params, Tensors } from '../../src/types';
import { paramAverage, type AverageMethod, type AverageState } from '../../src/transforms/paramAverage';
import { restoreState, serializeState } from '../../src/state';
import { checkMatches, disposeReplaced, disposeTree } from '../../src/tree';
import { positiveInt } from '../../src/validate';
import { withValues } from '../../src/withValues';
import { operate } from '../operate';
import { linkScope, scopeOf, type RunScope } from '../RunScope';
import type { StepResult } from '../Step';

/** Options of `averageParams`: the method (`{ ema }` or `{ swa }`, see `paramAverage`) and what to do with the average. */
export type AverageParamsOptions = AverageMethod & {
  /** The key of the average in the run's checkpoints (default 'average'). */
  readonly key?: string;
  /**
   * Evaluate on the averaged weights: `info[name] = fn()` with the parameters holding the
   * average during `fn`, at the first step whose example count reaches each multiple of
   * `everyExamples` (as `evaluate`).
   */
  readonly evaluate?: { readonly name: string; readonly fn: () => number; readonly everyExamples: number };
  /** Called with the averaged values after every step; they are freed right after (clone to keep). */
  readonly onAverage?: (average: Tensors, step: number) => void;
};

/**
 * Keep an average of the parameters beside training — Polyak/EMA (`{ ema: 0.999 }`) or SWA
 * (`{ swa: { start } }`) — and evaluate on it without disturbing training. Put it after
 * `applyUpdates`.
 *
 * 1. After every step's update the average takes the parameters' new values in (see
 *    `paramAverage` for the equations, the debiasing and SWA's schedule). The average is copies
 *    owned by the operator, one per subscription, freed on complete, error and unsubscribe.
 * 2. `info['average.count']` is the number of averaged values so far.
 * 3. `evaluate`: at the due steps the parameters hold the average while `fn` runs and their
 *    own values right after (`withValues`: bit for bit, also when `fn` throws); `fn` must
 *    return a finite number. `onAverage` sees the averaged values of every step.
 * 4. The average is a part of the run's checkpoint under `key` (`scopeOf(result)`): a resumed
 *    run continues it. Results keep their link to the run: put `checkpoint` after this operator
 *    (before it, a checkpoint would hold the average of the step before).
 * 5. SWA's learning rate (PyTorch's `SWALR`) is a schedule upstream: see the PyTorch → rxgrad
 *    table (`sequence([…, cosine(…)], [start])`).
 * 6. A step that did not update (`info.updated === 0`: `accumulate`'s micro-batches between
 *    optimizer steps) is not averaged — the parameters have not moved — so the average counts
 *    optimizer steps, as PyTorch's `update_parameters` after `optimizer.step()`: `{ ema: β }` keeps
 *    its horizon under `accumulate(k)` (averaging every micro-batch would make it k times
 *    shorter). SWA's `start` and `every` stay step numbers: under `accumulate(k)` give multiples of k.
 *
 * @example
 * steps.pipe(gradients(loss, params), optimize(sgd({ lr: 0.05 })), applyUpdates(params),
 *   averageParams(params, { ema: 0.99, evaluate: { name: 'emaLoss', fn: fullLoss, everyExamples: 1500 } }));
 */
export function averageParams(params: Params, options: AverageParamsOptions): OperatorFunction<StepResult, StepResult> {
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { ema } or { swa }', options);
  const { key = 'average', evaluate, onAverage, ...method } = options;
  const averager = paramAverage(method as AverageMethod);
  if (typeof key !== 'string' || key.length === 0) throw new RxgradError('key', 'a non-empty string', key);
  if (onAverage !== undefined && typeof onAverage !== 'function') throw new RxgradError('onAverage', 'a function (average, step) => void', onAverage);
  if (evaluate !== undefined) {
    if (evaluate === null || typeof evaluate !== 'object' || typeof evaluate.name !== 'string' || evaluate.name.length === 0) throw new RxgradError('evaluate.name', 'a non-empty string', evaluate?.name);
    if (typeof evaluate.fn !== 'function') throw new RxgradError('evaluate.fn', 'a function returning a number', evaluate.fn);
    positiveInt('evaluate.everyExamples', evaluate.everyExamples);
  }
  const start = (scope: RunScope | undefined): AverageState => {
    const restored = scope?.restored(key);
    if (restored === undefined) return averager.init(params);
    const state = restoreState<AverageState>(restored);
    try {
      if (typeof state?.count !== 'number' || !Number.isSafeInteger(state.count) || state.count < 0) throw new RxgradError(`${key}.count`, 'a non-negative integer', state?.count);
      checkMatches(state.average ?? {}, params, 'average');
      if (Object.keys(state.average).length !== Object.keys(params).length) throw new RxgradError(`${key}.average`, `a value for every parameter (${Object.keys(params).join(', ')})`, shown(Object.keys(state.average).join(', ')));
    } catch (err) {
      disposeTree(state);
      throw err;
    }
    return state;
  };
  return operate<StepResult, StepResult>((out) => {
    let state: AverageState | undefined;
    let registered: RunScope | undefined;
    return {
      next: (r) => {
        const scope = scopeOf(r);
        if (state === undefined) state = start(scope);
        if (scope && scope !== registered) {
          scope.register(key, { save: () => serializeState(state) });
          registered = scope;
        }
        if (r.info.updated !== 0) {
          const next = averager.update(state, params, r.step);
          disposeReplaced(state, next);
          state = next;
        }
        const info: Record<string, number> = { ...r.info, 'average.count': state.count };
        const every = evaluate?.everyExamples ?? 0;
        const due = evaluate !== undefined && Math.floor(r.examples / every) !== Math.floor((r.examples - r.size) / every);
        if (due || onAverage) {
          const average = averager.value(state, params);
          try {
            onAverage?.(average, r.step);
            if (due) {
              const value = withValues(params, average, evaluate.fn);
              if (typeof value !== 'number' || !Number.isFinite(value)) throw new RxgradError(evaluate.name, 'a finite number from the evaluation', value);
              info[evaluate.name] = value;
            }
          } finally {
            disposeTree(average);
          }
        }
        const result: StepResult = { ...r, info };
        linkScope(result, scope);
        out.next(result);
      },
      teardown: () => disposeTree(state),
    };
  });
}
