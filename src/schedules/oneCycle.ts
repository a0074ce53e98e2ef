import { RxgradError } from '../RxgradError';
import type { Schedule } from '../types';
import { bool, inRange, positiveInt } from '../validate';
import { oneOf } from './oneOf';
import { stepsBefore } from './stepsBefore';

/** Options of `oneCycle` (PyTorch's `OneCycleLR`). */
export interface OneCycleOptions {
  /** Value at the top of the cycle (`max_lr`). */
  readonly peak: number;
  /** Length of the cycle in steps (`total_steps`); or give `epochs` and `stepsPerEpoch`. */
  readonly totalSteps?: number;
  /** With `stepsPerEpoch`, the cycle length epochs · stepsPerEpoch (when `totalSteps` is not given). */
  readonly epochs?: number;
  /** Steps in an epoch (`steps_per_epoch`). */
  readonly stepsPerEpoch?: number;
  /** Fraction of the cycle spent rising, in [0, 1] (`pct_start`, default 0.3). */
  readonly pctStart?: number;
  /** Shape of each phase (`anneal_strategy`, default 'cos'). */
  readonly anneal?: 'cos' | 'linear';
  /** initial = peak / divFactor (`div_factor`, default 25). */
  readonly divFactor?: number;
  /** final = initial / finalDivFactor (`final_div_factor`, default 1e4). */
  readonly finalDivFactor?: number;
  /** Rise, fall back to initial, then anneal to final (`three_phase`, default false). */
  readonly threePhase?: boolean;
  /** Start value instead of peak / divFactor (for momentum: PyTorch's `max_momentum`). */
  readonly initial?: number;
  /** End value instead of initial / finalDivFactor (for momentum: `max_momentum`). */
  readonly final?: number;
}

/**
 * PyTorch's `OneCycleLR` (cycle_momentum=False; schedule momentum with a second `oneCycle`
 * whose `initial`/`final` are max_momentum and `peak` base_momentum).
 *
 * Phases, with T = totalSteps, p = pctStart, e = t − 1 (PyTorch's phase ends, in counts):
 *
 *   two-phase:   [0, pT − 1] initial → peak,  then up to T − 1 peak → final
 *   three-phase: [0, pT − 1] initial → peak,  to 2pT − 2 peak → initial,  to T − 1 initial → final
 *
 * Within a phase from a to b starting at count s and ending at count s', π = (e − s)/(s' − s):
 * 'cos' gives b + (a − b)/2 · (cos(π·π) + 1), 'linear' gives (b − a)·π + a. As in PyTorch,
 * steps 1 … T + 1 are defined (T scheduler steps) and later steps throw.
 *
 * @example
 * const s = oneCycle({ peak: 0.5, totalSteps: 60 });
 * s(1);  // 0.02  (0.5 / 25)
 * s(18); // 0.5
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const peak = inRange('peak', options?.peak, {});
  const total =
    options.totalSteps !== undefined
      ? positiveInt('totalSteps', options.totalSteps)
      : positiveInt('epochs', options.epochs) * positiveInt('stepsPerEpoch', options.stepsPerEpoch);
  const pct = inRange('pctStart', options.pctStart ?? 0.3, { min: 0, max: 1 });
  const anneal = oneOf('anneal', options.anneal ?? 'cos', ['cos', 'linear'] as const);
  const divFactor = inRange('divFactor', options.divFactor ?? 25, { min: 0, minOpen: true });
  const finalDivFactor = inRange('finalDivFactor', options.finalDivFactor ?? 1e4, { min: 0, minOpen: true });
  const initial = inRange('initial', options.initial ?? peak / divFactor, {});
  const final = inRange('final', options.final ?? initial / finalDivFactor, {});
  const phases: readonly (readonly [end: number, from: number, to: number])[] = bool('threePhase', options.threePhase ?? false)
    ? [
        [pct * total - 1, initial, peak],
        [2 * pct * total - 2, peak, initial],
        [total - 1, initial, final],
      ]
    : [
        [pct * total - 1, initial, peak],
        [total - 1, peak, final],
      ];
  const annealFn =
    anneal === 'cos'
      ? (a: number, b: number, p: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1)
      : (a: number, b: number, p: number) => (b - a) * p + a;
  return (step) => {
    const e = stepsBefore(step);
    if (e > total) throw new RxgradError('step', `≤ totalSteps + 1 (${total + 1}) for this one-cycle schedule`, step);
    let start = 0;
    for (let i = 0; ; i++) {
      const [end, from, to] = phases[i];
      if (e <= end || i === phases.length - 1) return annealFn(from, to, (e - start) / (end - start));
      start = end;
    }
  };
}
