import { RxgradError } from '../RxgradError';
import type { Schedule } from '../types';
import { inRange } from '../validate';
import { oneOf } from './oneOf';
import { stepsBefore } from './stepsBefore';

/** Options of `cyclic` (PyTorch's `CyclicLR`). */
export interface CyclicOptions {
  /** Value at the start of every cycle (`base_lr`; for momentum, PyTorch's `max_momentum`). */
  readonly base: number;
  /** Value at the top of the cycle (`max_lr`; for momentum, `base_momentum`). May be below `base`. */
  readonly peak: number;
  /** Steps from base to peak (`step_size_up`, default 2000). */
  readonly stepSizeUp?: number;
  /** Steps from peak back to base (`step_size_down`, default `stepSizeUp`). */
  readonly stepSizeDown?: number;
  /** Amplitude policy (default 'triangular'); ignored when `scaleFn` is given. */
  readonly mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** Base of 'exp_range' (default 1). */
  readonly gamma?: number;
  /** Custom amplitude scaling of the cycle number or the count (`scale_fn`). */
  readonly scaleFn?: (x: number) => number;
  /** What `scaleFn` receives: the 1-based cycle or the count e (`scale_mode`, default 'cycle'). */
  readonly scaleMode?: 'cycle' | 'iterations';
}

/**
 * PyTorch's `CyclicLR` (its own formula, so values agree to the last bit):
 *
 *   S = up + down,  r = up / S,  c = ⌊1 + e/S⌋,  x = 1 + e/S − c,   e = t − 1
 *   h = x / r  if x ≤ r,  else (x − 1) / (r − 1)
 *   η_t = base + (peak − base) · h · scale(c or e)
 *
 * scale: 'triangular' 1, 'triangular2' 1/2^(c−1) (of the cycle), 'exp_range' γ^e (of the count).
 *
 * @example
 * const s = cyclic({ base: 0.01, peak: 0.1, stepSizeUp: 5 });
 * s(1); // 0.01
 * s(6); // 0.1
 */
export function cyclic(options: CyclicOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const peak = inRange('peak', options.peak, {});
  const up = inRange('stepSizeUp', options.stepSizeUp ?? 2000, { min: 0, minOpen: true });
  const down = inRange('stepSizeDown', options.stepSizeDown ?? up, { min: 0, minOpen: true });
  const mode = oneOf('mode', options.mode ?? 'triangular', ['triangular', 'triangular2', 'exp_range'] as const);
  const gamma = inRange('gamma', options.gamma ?? 1, { min: 0 });
  if (options.scaleFn !== undefined && typeof options.scaleFn !== 'function') throw new RxgradError('scaleFn', 'a function of the cycle or count', options.scaleFn);
  const byMode = {
    triangular: [() => 1, 'cycle'],
    triangular2: [(c: number) => 1 / 2 ** (c - 1), 'cycle'],
    exp_range: [(e: number) => gamma ** e, 'iterations'],
  } as const;
  const scaleFn = options.scaleFn ?? byMode[mode][0];
  const scaleMode = options.scaleFn ? oneOf('scaleMode', options.scaleMode ?? 'cycle', ['cycle', 'iterations'] as const) : byMode[mode][1];
  const total = up + down;
  const ratio = up / total;
  return (step) => {
    const e = stepsBefore(step);
    const c = Math.floor(1 + e / total);
    const x = 1 + e / total - c;
    const h = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    return base + (peak - base) * h * scaleFn(scaleMode === 'cycle' ? c : e);
  };
}
