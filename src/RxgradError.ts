/**
 * The one error type rxgrad throws for bad input. The message names the field, what was
 * expected and what arrived.
 *
 * @example
 * throw new RxgradError('beta1', 'in [0, 1)', 1.2); // "Expected `beta1` in [0, 1), got 1.2"
 */
export class RxgradError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got: unknown,
    detail?: string,
  ) {
    super(`Expected \`${field}\` ${expected}, got ${describe(got)}${detail ? ` (${detail})` : ''}`);
    this.name = 'RxgradError';
  }
}

const SHOWN = Symbol('shown');

/**
 * Wrap text that already describes the offending value, so errors print it unquoted.
 *
 * @example
 * new RxgradError('grads.w', 'shape [2]', shown('shape [3]')); // "... got shape [3]"
 */
export function shown(text: string): { readonly [SHOWN]: string } {
  return { [SHOWN]: text };
}

/** A short, readable rendering of an offending value for error messages. */
export function describe(value: unknown): string {
  if (value !== null && typeof value === 'object' && SHOWN in value) return (value as { [SHOWN]: string })[SHOWN];
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return value.length <= 6 ? `[${value.map(describe).join(', ')}]` : `an array of length ${value.length}`;
  if (typeof value === 'object' && 'shape' in value && Array.isArray((value as { shape: unknown }).shape)) {
    return `a tensor of shape [${(value as { shape: number[] }).shape.join(', ')}]`;
  }
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
