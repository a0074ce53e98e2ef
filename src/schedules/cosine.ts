import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `cosine` (PyTorch's `CosineAnnealingLR`). */
export interface CosineOptions {
  /** The value at step 1 (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Half-period in steps (`T_max`): the value reaches `etaMin` at step tMax + 1. */
  readonly tMax: number;
  /** Lowest value (`eta_min`, default 0). */
  readonly etaMin?: number;
}

/**
 * PyTorch's `CosineAnnealingLR`, closed form:
 *
 *   η_t = η_min + (base − η_min) · (1 + cos(π · e / T_max)) / 2,   e = t − 1
 *
 * Past T_max the value rises again (period 2·T_max), as PyTorch's does. PyTorch steps this
 * scheduler with a recursive formula; the two agree to ~1e-13 relative over the 60 reference
 * steps (see test/src/schedules). To hold η_min after T_max (Keras `CosineDecay`), follow it
 * with a constant: `sequence([cosine(o), o.etaMin], [o.tMax])`.
 *
 * @example
 * const s = cosine({ base: 0.1, tMax: 30, etaMin: 0.001 });
 * s(1);  // 0.1
 * s(31); // 0.001
 */
export function cosine(options: CosineOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const tMax = positiveInt('tMax', options.tMax);
  const etaMin = inRange('etaMin', options.etaMin ?? 0, {});
  return (step) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * stepsBefore(step)) / tMax))) / 2;
}
