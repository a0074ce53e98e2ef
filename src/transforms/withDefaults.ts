import { RxgradError, shown } from '../RxgradError';

/**
 * An optimizer's or a transform's options completed with its defaults.
 *
 * 1. `options` must be `undefined` or a plain object; an option the optimizer does not have
 *    (a typo, PyTorch's snake_case) throws an `RxgradError` listing the valid names.
 * 2. An option given as `undefined` takes its default.
 * 3. Values are not checked here: the transforms check each one (range, type) when built.
 *
 * @example
 * withDefaults('adam', { lr: 0.01 }, adamDefaults); // { lr: 0.01, beta1: 0.9, … }
 * withDefaults('adam', { weight_decay: 0.1 }, adamDefaults);
 * // throws "Expected `options.weight_decay` one of adam's options (lr, beta1, …), got an unknown option"
 */
export function withDefaults<O extends object>(optimizer: string, options: O | undefined, defaults: Readonly<Required<O>>): Required<O> {
  if (options === undefined) return { ...defaults };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new RxgradError('options', `an object of ${optimizer} options`, options);
  }
  const known = Object.keys(defaults);
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (!known.includes(key)) throw new RxgradError(`options.${key}`, `one of ${optimizer}'s options (${known.join(', ')})`, shown('an unknown option'));
    if (value !== undefined) out[key] = value;
  }
  return out as Required<O>;
}
