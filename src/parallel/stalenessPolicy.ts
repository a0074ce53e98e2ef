import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';

/** What the updater does with a gradient computed against an older model version. */
export interface StalenessOptions {
  /** k: gradients more than k versions behind the model are dropped (k = 0: only current ones are applied). */
  readonly maxStaleness: number;
  /** `'drop'` (default): apply those within k unchanged; `'downweight'`: scale them by 1 / (1 + staleness). */
  readonly mode?: 'drop' | 'downweight';
}

/** The weight a gradient of a given staleness is applied with; 0 means dropped. */
export type StalenessPolicy = (staleness: number) => number;

/**
 * The staleness bound of asynchronous data-parallel SGD (the "stale synchronous parallel"
 * bound of Ho et al. 2013; the 1/(1 + τ) down-weighting of Zhang et al. 2016,
 * "Staleness-aware async-SGD"). A gradient g computed against version v reaches an updater at
 * version V; its staleness is τ = V − v ≥ 0, and it is applied as w(τ)·g:
 *
 *   drop:        w(τ) = 1 for τ ≤ k,           0 (dropped) for τ > k
 *   downweight:  w(τ) = 1 / (1 + τ) for τ ≤ k,  0 (dropped) for τ > k
 *
 * 1. `maxStaleness` is an integer ≥ 0 and `mode` `'drop'` or `'downweight'`, else an
 *    `RxgradError` naming the field.
 * 2. The policy throws, naming `staleness`, for a τ that is not an integer ≥ 0 (a gradient from a
 *    version the updater has not reached: a message from another run).
 *
 * @example
 * const w = stalenessPolicy({ maxStaleness: 2, mode: 'downweight' });
 * [w(0), w(1), w(2), w(3)]; // [1, 0.5, 1/3, 0]
 */
export function stalenessPolicy(options: StalenessOptions): StalenessPolicy {
  if (options === null || typeof options !== 'object') throw new RxgradError('staleness', 'an object { maxStaleness, mode? }', options);
  const k = positiveInt('staleness.maxStaleness', options.maxStaleness, 0);
  const mode = options.mode ?? 'drop';
  if (mode !== 'drop' && mode !== 'downweight') throw new RxgradError('staleness.mode', "'drop' or 'downweight'", mode);
  return (staleness) => {
    positiveInt('staleness', staleness, 0);
    if (staleness > k) return 0;
    return mode === 'drop' ? 1 : 1 / (1 + staleness);
  };
}
