import { isObservable, type Observable, type OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { hyperOption, resolveHyper } from '../../src/resolveHyper';
import type { HyperValue } from '../../src/types';
import { extend } from '../../src/extend';
import { listen } from '../listen';
import { hyperName } from '../../src/validate';
import { operate, type OperatorHandlers } from '../operate';
import { disposeStep, type Step } from '../Step';
import { fusable, type PassStage, type StepOutput } from '../fused/fusion';

/** What a hyperparameter operator accepts: a number, a schedule, or a stream of either. */
export type HyperSource = HyperValue | Observable<HyperValue>;

/** Options of `hyper` / `learningRate`. */
export interface HyperOptions {
  /**
   * In force until a stream `value` first emits (a number or a schedule). Without it, a step
   * that arrives before the stream's first value fails the run (never dropped, never held).
   */
  readonly initial?: HyperValue;
  /**
   * `'drift'`: warm-restart a schedule at every drift that a `detectDrift` before this operator
   * reported — the step of the drift is the schedule's step 1 again.
   */
  readonly restartOn?: 'drift';
}

/**
 * Put hyperparameter `name` in force on every step: `step.hyper[name] = v`. Transforms read it
 * from the step, overriding their own option (see `resolveHyper`).
 *
 * 1. A number is used as is; a schedule is evaluated as `v(step.step, step.epoch)`.
 * 2. An `Observable` of numbers or schedules (a slider, a schedule picked live) is followed:
 *    its latest value applies to every step that reaches the operator after it arrived — with a
 *    synchronous pipeline, from the next step on. Before its first value, `options.initial`
 *    applies, or the step fails with an `RxgradError` naming `name`.
 * 3. The stream's error fails the run; its completion keeps the last value. It is subscribed
 *    before the steps and unsubscribed when the run ends (complete, error or unsubscribe).
 * 4. A value that is not a finite number (or a schedule giving one) fails the run, naming `name`.
 * 5. A name the optimizer does not read (`hyper('learning_rate', …)` with `sgd`, which reads
 *    `lr`) fails the step at `optimize`, with the names it reads.
 * 6. With `restartOn: 'drift'` a schedule is evaluated at `step − lastDrift + 1`, where
 *    `lastDrift` is the step of the last drift (`step.online.lastDrift`, set by `detectDrift`);
 *    before any drift, at `step`. A step without drift detection fails the run.
 * 7. It touches no tensor, so it takes part in `applyUpdates`' fused path as it is: the fused
 *    run applies this very operator to the source's rows (same stream subscription, same values
 *    per step).
 *
 * @example
 * steps.pipe(gradients(loss, params), hyper('momentum', cyclic({ base: 0.95, peak: 0.85, stepSizeUp: 100 })), optimize(sgd({ lr: 0.1, momentum: 0.9 })));
 */
export function hyper<B>(name: string, value: HyperSource, options: HyperOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  hyperName('name', name);
  const initial = options.initial === undefined ? undefined : hyperOption(`${name} (initial)`, options.initial, {});
  const stream = isObservable(value) ? value : undefined;
  const fixed = stream ? undefined : hyperOption(name, value, {});
  if (options.restartOn !== undefined && options.restartOn !== 'drift') throw new RxgradError('restartOn', "'drift' or undefined", options.restartOn);
  const scheduleStep = (step: Step<B>): number => {
    if (!options.restartOn) return step.step;
    const last = step.online?.lastDrift;
    if (last === undefined) {
      throw new RxgradError('step.online.lastDrift', `drift detection before the schedule (put detectDrift() before ${name}'s operator)`, shown(`none at step ${step.step}`));
    }
    return last > 0 ? step.step - last + 1 : step.step;
  };
  // The setup per subscription: `operate`'s, and the fused run's stage (`PassFusion.handlers`).
  const setup = (out: StepOutput): OperatorHandlers<Step<B>> => {
    let current = fixed ?? initial;
    const subscription = stream && listen(stream, out, (v) => (current = hyperOption(name, v, {})));
    return {
      next: (step) => {
        if (current === undefined) {
          throw new RxgradError(name, 'a value before the step (the stream has not emitted; give `initial`)', shown(`none at step ${step.step}`));
        }
        const t = scheduleStep(step);
        const v = resolveHyper(name, current, { step: t, epoch: step.epoch }, t, {});
        // `advance(step, { hyper })` as a spread of a key every step has, which V8 copies in one go
        // (`extend`'s Object.assign takes its generic path for a step record: ~0.2 µs a step).
        const next: Step<B> = { ...step, hyper: extend(step.hyper, { [name]: v }) };
        step.scope?.own(next);
        out.next(next);
      },
      release: disposeStep,
      teardown: () => subscription?.unsubscribe(),
    };
  };
  const operator = operate<Step<B>, Step<B>>(setup);
  return fusable(operator, { stage: 'pass', handlers: () => setup as (out: StepOutput) => PassStage, examples: false });
}
