import type { Observable, OperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import { hyperOption, resolveHyper } from '../../src/resolveHyper';
import { oneOf } from '../../src/schedules/oneOf';
import type { HyperValue } from '../../src/types';
import { extend } from '../../src/extend';
import { listen } from '../listen';
import { hyperName } from '../../src/validate';
import { operate, type OperatorHandlers } from '../operate';
import { advance, disposeStep, type Step } from '../Step';
import { fusable, type PassStage, type StepOutput } from '../fused/fusion';

/** Options of `override`. */
export interface OverrideOptions {
  /** 'replace' (default): the override is the value; 'scale': it multiplies the value upstream put on the step. */
  readonly mode?: 'replace' | 'scale';
  /** In force before `values` first emits (e.g. the override of a resumed run); default none. */
  readonly initial?: HyperValue | null;
}

/**
 * Steer hyperparameter `name` live (a dashboard slider, a `Subject`): each value of `values`
 * applies to every step that reaches the operator after it — with a synchronous pipeline, from
 * the next step on.
 *
 * 1. Until `values` first emits (unless `initial` is given), and after it emits `null`, steps
 *    pass unchanged: the schedule upstream rules.
 * 2. 'replace': hyper[name] = v. 'scale': hyper[name] = upstream · v, and a step without an
 *    upstream value fails (put `learningRate`/`hyper` before it). v is a number, or a schedule
 *    evaluated at the step.
 * 3. While an override is in force, the step's `info['override.<name>']` is v, so the metrics
 *    show when the switch happened and what it was (`StepResult.hyper[name]` the result).
 * 4. An error of `values` fails the run; its completion keeps the last value in force.
 * 5. It touches no tensor, so it takes part in `applyUpdates`' fused path as it is: the fused
 *    run applies this very operator to the source's rows, so an override still applies from the
 *    next step on.
 *
 * @example
 * const slider = new Subject<number | null>();
 * steps.pipe(gradients(loss, params), learningRate(cosine({ base: 0.1, tMax: 1000 })), override('lr', slider), optimize(sgd()), applyUpdates(params));
 * slider.next(0.01); // every later step uses lr 0.01; slider.next(null) hands back to the cosine
 */
export function override<B>(name: string, values: Observable<HyperValue | null>, options: OverrideOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  hyperName('name', name);
  if (!values || typeof values.subscribe !== 'function') throw new RxgradError('values', 'an Observable of numbers, schedules or null', values);
  const mode = oneOf('mode', options.mode ?? 'replace', ['replace', 'scale'] as const);
  const check = (v: HyperValue | null) => (v === null ? null : hyperOption(`override.${name}`, v, {}));
  const initial = check(options.initial ?? null);
  // The setup per subscription: `operate`'s, and the fused run's stage (`PassFusion.handlers`).
  const setup = (out: StepOutput): OperatorHandlers<Step<B>> => {
    let current = initial;
    const subscription = listen(values, out, (v) => (current = check(v)));
    return {
      next: (step) => {
        if (current === null) {
          out.next(step);
          return;
        }
        const v = resolveHyper(`override.${name}`, current, { step: step.step, epoch: step.epoch }, step.step, {});
        const upstream = step.hyper[name];
        if (mode === 'scale' && upstream === undefined) {
          throw new RxgradError(`step.hyper.${name}`, `a value to scale (put learningRate() or hyper('${name}', …) before override())`, upstream);
        }
        const applied = mode === 'scale' ? upstream * v : v;
        out.next(advance(step, { hyper: extend(step.hyper, { [name]: applied }), info: extend(step.info ?? {}, { [`override.${name}`]: v }) }));
      },
      release: disposeStep,
      teardown: () => subscription.unsubscribe(),
    };
  };
  const operator = operate<Step<B>, Step<B>>(setup);
  return fusable(operator, { stage: 'pass', handlers: () => setup as (out: StepOutput) => PassStage, examples: false });
}
