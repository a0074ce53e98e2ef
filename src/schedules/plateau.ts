import { RxgradError } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import { oneOf } from './oneOf';

/** Options of `plateau` (PyTorch's `ReduceLROnPlateau`, camelCase, same defaults). */
export interface PlateauOptions {
  /** 'min': lower metrics are better (a loss); 'max': higher are better (an accuracy). Default 'min'. */
  readonly mode?: 'min' | 'max';
  /** Factor applied on a plateau, in [0, 1) (default 0.1). */
  readonly factor?: number;
  /** Metrics without improvement tolerated before reducing, integer ≥ 0 (default 10). */
  readonly patience?: number;
  /** Improvement needed to count as better, ≥ 0 (default 1e-4). */
  readonly threshold?: number;
  /** 'rel': better than best · (1 ∓ threshold); 'abs': than best ∓ threshold (default 'rel'). */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Metrics ignored after a reduction, integer ≥ 0 (default 0). */
  readonly cooldown?: number;
  /** Lowest value, ≥ 0 (`min_lr`, default 0). */
  readonly minLr?: number;
  /** A reduction smaller than this is skipped, ≥ 0 (default 1e-8). */
  readonly eps?: number;
  /** The value before any reduction (PyTorch: the optimizer's lr; 1 when used as a multiplier). Default 1. */
  readonly initial?: number;
}

/**
 * The state of a plateau detector: a plain JSON object (no Infinity, no class), so it can be
 * saved with a checkpoint and restored.
 */
export interface PlateauState {
  /** The value in force (the learning rate, or the multiplier of a schedule). */
  readonly value: number;
  /** Best metric so far; `null` before the first (PyTorch: ±inf). */
  readonly best: number | null;
  /** Metrics since the last improvement (`num_bad_epochs`). */
  readonly numBadEpochs: number;
  /** Metrics left to ignore after a reduction (`cooldown_counter`). */
  readonly cooldownCounter: number;
  /** Metrics consumed so far (`last_epoch`). */
  readonly count: number;
}

/** A plateau detector: pure functions over a `PlateauState`. */
export interface Plateau {
  /** The state before any metric: `{ value: initial, best: null, numBadEpochs: 0, cooldownCounter: 0, count: 0 }`. */
  init(): PlateauState;
  /** The state after one more metric (the input state is not changed). */
  update(state: PlateauState, metric: number): PlateauState;
  /** Check a saved state (e.g. parsed from JSON) and return it, or throw naming the bad field. */
  restore(saved: unknown): PlateauState;
}

/**
 * PyTorch's `ReduceLROnPlateau` as a pure state machine. For each metric m:
 *
 * 1. better(m, best) — 'min'/'rel': m < best·(1 − threshold); 'min'/'abs': m < best − threshold;
 *    'max'/'rel': m > best·(1 + threshold); 'max'/'abs': m > best + threshold. Anything is
 *    better than no best yet except NaN (PyTorch's ±inf start).
 * 2. better → best = m, numBadEpochs = 0; otherwise numBadEpochs += 1.
 * 3. In cooldown (cooldownCounter > 0): cooldownCounter −= 1 and numBadEpochs = 0.
 * 4. numBadEpochs > patience → v' = max(v · factor, minLr), kept only if v − v' > eps;
 *    cooldownCounter = cooldown, numBadEpochs = 0.
 *
 * @example
 * const p = plateau({ factor: 0.5, patience: 1, initial: 0.1 });
 * let s = p.init();
 * for (const m of [1, 1, 1]) s = p.update(s, m);
 * s.value; // 0.05
 */
export function plateau(options: PlateauOptions = {}): Plateau {
  const mode = oneOf('mode', options.mode ?? 'min', ['min', 'max'] as const);
  const factor = inRange('factor', options.factor ?? 0.1, { min: 0, max: 1, maxOpen: true });
  const patience = positiveInt('patience', options.patience ?? 10, 0);
  const threshold = inRange('threshold', options.threshold ?? 1e-4, { min: 0 });
  const thresholdMode = oneOf('thresholdMode', options.thresholdMode ?? 'rel', ['rel', 'abs'] as const);
  const cooldown = positiveInt('cooldown', options.cooldown ?? 0, 0);
  const minLr = inRange('minLr', options.minLr ?? 0, { min: 0 });
  const eps = inRange('eps', options.eps ?? 1e-8, { min: 0 });
  const initial = inRange('initial', options.initial ?? 1, { min: 0 });
  const sign = mode === 'min' ? -1 : 1;
  const better = (m: number, best: number | null) => {
    if (Number.isNaN(m)) return false;
    if (best === null) return true;
    const bar = thresholdMode === 'rel' ? best * (1 + sign * threshold) : best + sign * threshold;
    return mode === 'min' ? m < bar : m > bar;
  };
  return {
    init: () => ({ value: initial, best: null, numBadEpochs: 0, cooldownCounter: 0, count: 0 }),
    update: (state, metric) => {
      if (typeof metric !== 'number') throw new RxgradError('metric', 'a number', metric);
      const improved = better(metric, state.best);
      if (improved && !Number.isFinite(metric)) throw new RxgradError('metric', 'a finite number when it becomes the best', metric);
      let numBadEpochs = improved ? 0 : state.numBadEpochs + 1;
      let cooldownCounter = state.cooldownCounter;
      if (cooldownCounter > 0) {
        cooldownCounter -= 1;
        numBadEpochs = 0;
      }
      let value = state.value;
      if (numBadEpochs > patience) {
        const reduced = Math.max(value * factor, minLr);
        if (value - reduced > eps) value = reduced;
        cooldownCounter = cooldown;
        numBadEpochs = 0;
      }
      return { value, best: improved ? metric : state.best, numBadEpochs, cooldownCounter, count: state.count + 1 };
    },
    restore: (saved) => {
      if (saved === null || typeof saved !== 'object') throw new RxgradError('state', 'a plateau state object', saved);
      const s = saved as Record<string, unknown>;
      return {
        value: inRange('state.value', s.value, { min: 0 }),
        best: s.best === null ? null : inRange('state.best', s.best, {}),
        numBadEpochs: positiveInt('state.numBadEpochs', s.numBadEpochs, 0),
        cooldownCounter: positiveInt('state.cooldownCounter', s.cooldownCounter, 0),
        count: positiveInt('state.count', s.count, 0),
      };
    },
  };
}
