import type { OperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import { positiveInt } from '../../src/validate';
import { operate } from '../operate';
import type { StepResult } from '../Step';
import { linkScope, scopeOf } from '../RunScope';

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /** Evaluate at the first step whose example count reaches each multiple of this (the book uses 200). */
  readonly everyExamples: number;
}

/**
 * Add a periodic evaluation to the metrics: `result.info[name] = fn()`, computed after the
 * step's update, at the first step whose `examples` reaches each multiple of `everyExamples`.
 *
 * 1. Other steps pass through unchanged.
 * 2. `fn` must return a finite number; a throw, a non-number, NaN or ±Infinity fails the stream.
 *
 * @example
 * steps.pipe(..., applyUpdates(params), evaluate('fullLoss', () => lossOnAllRows(), { everyExamples: 200 }));
 */
export function evaluate(name: string, fn: () => number, options: EvaluateOptions): OperatorFunction<StepResult, StepResult> {
  if (typeof fn !== 'function') throw new RxgradError('fn', 'a function returning a number', fn);
  const every = positiveInt('everyExamples', options?.everyExamples);
  return operate<StepResult, StepResult>((out) => ({
    next: (r) => {
      if (Math.floor(r.examples / every) === Math.floor((r.examples - r.size) / every)) {
        out.next(r);
        return;
      }
      const value = fn();
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RxgradError(name, 'a finite number from the evaluation', value);
      const result: StepResult = { ...r, info: { ...r.info, [name]: value } };
      // The copy stays linked to its run, so a `checkpoint` after `evaluate` still finds it.
      linkScope(result, scopeOf(r));
      out.next(result);
    },
  }));
}
