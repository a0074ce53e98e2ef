import { RxgradError } from '../RxgradError';

/**
 * Check that `value` is one of the allowed strings; return it, or throw an `RxgradError`
 * naming `field` and listing the choices.
 *
 * @example
 * oneOf('mode', 'min', ['min', 'max'] as const); // 'min'
 * oneOf('mode', 'low', ['min', 'max'] as const); // throws "Expected `mode` one of "min", "max", got "low""
 */
export function oneOf<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new RxgradError(field, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  return value as T;
}
