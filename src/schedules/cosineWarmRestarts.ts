import type { Schedule } from '../types';
import { inRange, positiveInt } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `cosineWarmRestarts` (PyTorch's `CosineAnnealingWarmRestarts`, Keras's `CosineDecayRestarts`). */
export interface CosineWarmRestartsOptions {
  /** The value at the start of the first cycle (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** Length of the first cycle in steps (`T_0`; Keras `first_decay_steps`). */
  readonly t0: number;
  /** Growth of the cycle length, ≥ 1 (`T_mult`, default 1; Keras `t_mul`). */
  readonly tMult?: number;
  /** Lowest value (`eta_min`, default 0; Keras: `alpha · initial_learning_rate`). */
  readonly etaMin?: number;
  /** Keras's `m_mul`: the height of cycle i is multiplied by mMul^i (default 1, as PyTorch). */
  readonly mMul?: number;
}

/**
 * SGDR: cosine annealing restarted every cycle, the cycles growing by `tMult`:
 *
 *   T_0 = t0, T_{i+1} = T_i · tMult; cycle i covers counts e ∈ [Σ_{j<i} T_j, Σ_{j≤i} T_j)
 *   η_t = η_min + (base − η_min) · mMul^i · (1 + cos(π · T_cur / T_i)) / 2,
 *   T_cur = e − Σ_{j<i} T_j,   e = t − 1
 *
 * The cycle is found by summing lengths (exact in integers), not with PyTorch's logarithm.
 *
 * @example
 * const s = cosineWarmRestarts({ base: 0.1, t0: 10, tMult: 2, etaMin: 0.001 });
 * s(11); // 0.1 (restart)
 * s(31); // 0.1 (restart after a cycle of 20)
 */
export function cosineWarmRestarts(options: CosineWarmRestartsOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const t0 = positiveInt('t0', options.t0);
  const tMult = inRange('tMult', options.tMult ?? 1, { min: 1 });
  const etaMin = inRange('etaMin', options.etaMin ?? 0, {});
  const mMul = inRange('mMul', options.mMul ?? 1, { min: 0 });
  return (step) => {
    let tCur = stepsBefore(step);
    let tI = t0;
    let i = 0;
    if (tMult === 1) {
      i = Math.floor(tCur / t0);
      tCur -= i * t0;
    } else {
      for (; tCur >= tI; i++) {
        tCur -= tI;
        tI *= tMult;
      }
    }
    return etaMin + ((base - etaMin) * mMul ** i * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  };
}
