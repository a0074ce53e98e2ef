import type { HyperValue, Schedule } from '../types';
import { positiveInt } from '../validate';
import { linear } from './linear';
import { product } from './product';
import { scheduleOf } from './scheduleOf';
import { sequence } from './sequence';

/** Options of `warmup`. */
export interface WarmupOptions {
  /** Fraction of the target at step 1, ≥ 0 (default 0, as Optax and Hugging Face). */
  readonly startFactor?: number;
}

/**
 * A linear warmup over n steps into a schedule, which then starts its own count:
 *
 *   η_t = s(1) · (f + (1 − f) · (t − 1)/n)   for t ≤ n   (f = startFactor)
 *   η_t = s(t − n)                           for t > n
 *
 * This is PyTorch's `SequentialLR([LinearLR(start_factor=f, total_iters=n), S], milestones=[n])`
 * built from `sequence` and `linear`; Keras 3 `CosineDecay(warmup_steps=n)` is the case
 * f = initial / warmup_target.
 *
 * @example
 * const s = warmup(5, cosine({ base: 0.1, tMax: 95 }));
 * s(1); // 0
 * s(3); // 0.04
 * s(6); // 0.1
 */
export function warmup(steps: number, schedule: HyperValue, options: WarmupOptions = {}): Schedule {
  const n = positiveInt('steps', steps);
  const s = scheduleOf('schedule', schedule);
  const ramp = linear({ base: 1, startFactor: options?.startFactor ?? 0, endFactor: 1, totalIters: n });
  return sequence([product(ramp, (_t, epoch) => s(1, epoch)), s], [n]);
}
