import type { OperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import type { HyperValue } from '../../src/types';
import { operate } from '../operate';
import { disposeStep, type Step } from '../Step';

/**
 * Put hyperparameter `name` in force on every step: `step.hyper[name] = value` (a number) or
 * `value(step.step, step.epoch)` (a schedule). Transforms read it from the step, overriding
 * their own option.
 *
 * @example
 * steps.pipe(gradients(loss, params), hyper('momentum', 0.9), optimize(sgd({ lr: 0.1, momentum: 0.5 })));
 */
export function hyper<B>(name: string, value: HyperValue): OperatorFunction<Step<B>, Step<B>> {
  if (typeof name !== 'string' || name.length === 0) throw new RxgradError('name', 'a hyperparameter name', name);
  if (typeof value !== 'function' && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new RxgradError(name, 'a finite number or a schedule (step, epoch) => value', value);
  }
  return operate<Step<B>, Step<B>>((out) => ({
    next: (step) => {
      const v = typeof value === 'function' ? value(step.step, step.epoch) : value;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RxgradError(name, `a finite number at step ${step.step}`, v);
      out.next({ ...step, hyper: { ...step.hyper, [name]: v } });
    },
    release: disposeStep,
  }));
}
