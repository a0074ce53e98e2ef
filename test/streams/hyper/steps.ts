import type { Step } from '../../../streams/Step';

/** A step without tensors (for marble tests of hyperparameter operators). */
export function plainStep(step: number, epoch = 1, hyper: Record<string, number> = {}): Step<null> {
  return { step, epoch, batch: null, size: 1, examples: step, startedAt: 0, hyper };
}

/** Steps `1 … n` keyed 'a', 'b', … for marble diagrams. */
export function stepValues(n: number, epochOf: (t: number) => number = () => 1): Record<string, Step<null>> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [String.fromCharCode(97 + i), plainStep(i + 1, epochOf(i + 1))]));
}
