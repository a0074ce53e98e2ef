import type { HyperValue, UpdateContext } from '../types';
import { hyperOption, resolveHyper } from '../resolveHyper';
import type { Interval } from '../validate';

/** One hyperparameter of a transform: the option as given (number or schedule) and its valid range. */
export type HyperSpec = readonly [value: unknown, interval: Interval];

/** A transform's validated hyperparameters, resolved once per update. */
export interface Hyperparameters<H extends string> {
  /** Their names, in the order given (a transform's `hyper` list). */
  readonly names: readonly H[];
  /** The values in force for an update (see `resolveHyper`), checked against each range. */
  resolve(ctx: UpdateContext | undefined, count: number): Record<H, number>;
  /** The values when every option is a plain number, else `undefined` (for checks at construction). */
  readonly constants: Record<H, number> | undefined;
}

/**
 * Validate a transform's hyperparameter options at construction and resolve them per update.
 *
 * 1. Each `[value, interval]` goes through `hyperOption(name, value, interval)`: a number outside
 *    `interval` (or anything that is neither a number nor a schedule) throws an `RxgradError`
 *    naming the option.
 * 2. `resolve(ctx, count)` gives, for every name, `ctx.hyper[name]` if the pipeline supplies it,
 *    else the option (a schedule evaluated at `ctx.step`, or at the transform's own `count`),
 *    checked against the same interval. The result is what the update reports as `used`; when
 *    every value equals the previous call's (`Object.is`), it is that call's object again (a
 *    training loop's steady state makes no new record; never mutate it). With number options
 *    only and the same `ctx.hyper` record as the previous call (records of hyperparameters are
 *    never mutated), that object is returned at once.
 *
 * @example
 * const hp = hyperparameters({ beta1: [0.9, { min: 0, max: 1, maxOpen: true }] });
 * hp.resolve({ hyper: { beta1: 0.8 } }, 1); // { beta1: 0.8 }
 * hp.resolve(undefined, 1);                  // { beta1: 0.9 }
 */
export function hyperparameters<H extends string>(specs: Readonly<Record<H, HyperSpec>>): Hyperparameters<H> {
  const names = Object.keys(specs) as H[];
  const options = {} as Record<H, HyperValue>;
  for (const name of names) options[name] = hyperOption(name, specs[name][0], specs[name][1]);
  const constant = names.every((n) => typeof options[n] === 'number');
  const list = names.map((name) => ({ name, option: options[name], interval: specs[name][1] }));
  let previous: Record<H, number> | undefined;
  // With number options only, the values depend on `ctx.hyper` alone: the record `previous` was
  // resolved from (a step's hyperparameters, never mutated) gives it again without a lookup.
  const unseen = {};
  let seen: unknown = unseen;
  return {
    names,
    constants: constant ? ({ ...options } as Record<H, number>) : undefined,
    resolve: (ctx, count) => {
      const source = ctx?.hyper;
      if (constant && source === seen) return previous!;
      const prev = previous;
      let values: Record<H, number> | undefined;
      for (let i = 0; i < list.length; i++) {
        const { name, option, interval } = list[i];
        // A number option was checked against its interval at construction.
        const v = typeof option === 'number' && ctx?.hyper?.[name] === undefined ? option : resolveHyper(name, option, ctx, count, interval);
        if (values === undefined) {
          if (prev !== undefined && Object.is(prev[name], v)) continue;
          values = {} as Record<H, number>;
          for (let j = 0; j < i; j++) values[list[j].name] = prev![list[j].name];
        }
        values[name] = v;
      }
      // Remembered once resolved (a value out of range throws again at the next call).
      seen = constant ? source : unseen;
      if (values === undefined && prev !== undefined) return prev;
      return (previous = values ?? ({} as Record<H, number>));
    },
  };
}
