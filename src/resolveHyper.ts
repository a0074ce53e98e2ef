import type { HyperValue, UpdateContext } from './types';
import { RxgradError } from './RxgradError';
import { inRange, type Interval } from './validate';

/**
 * Validate a hyperparameter option when a transform is built: a number must lie in `interval`,
 * a schedule is checked each time it is evaluated.
 *
 * @example
 * hyperOption('lr', 0.1, { min: 0 }); // 0.1
 */
export function hyperOption(field: string, value: unknown, interval: Interval): HyperValue {
  if (typeof value === 'function') return value as HyperValue;
  if (typeof value === 'number') return inRange(field, value, interval);
  throw new RxgradError(field, 'a number or a schedule (step => value)', value);
}

/**
 * The value of hyperparameter `name` for this update:
 *
 * 1. `ctx.hyper[name]` when the pipeline put one on the step (a schedule stream, a live
 *    override);
 * 2. otherwise the transform's own option: a number as is, a schedule evaluated at `ctx.step`
 *    or, without a pipeline, at the transform's own 1-based `count`.
 *
 * The result is checked against `interval`, so a bad streamed value fails the step with the
 * field's name instead of corrupting parameters.
 *
 * @example
 * resolveHyper('lr', 0.1, { hyper: { lr: 0.05 } }, 1, { min: 0 }); // 0.05
 * resolveHyper('lr', (t) => 0.1 / t, undefined, 2, { min: 0 });    // 0.05
 */
export function resolveHyper(
  name: string,
  option: HyperValue,
  ctx: UpdateContext | undefined,
  count: number,
  interval: Interval,
): number {
  const given = ctx?.hyper?.[name];
  const value = given !== undefined ? given : typeof option === 'function' ? option(ctx?.step ?? count, ctx?.epoch) : option;
  return inRange(name, value, interval);
}
