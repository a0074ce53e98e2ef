import { RxgradError } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import type { DriftDetector } from './DriftDetector';

/** Options of `pageHinkley`: River's `drift.PageHinkley` parameters, camelCase, with River's defaults. */
export interface PageHinkleyOptions {
  /** Values seen before a drift may be reported (default 30). */
  readonly minInstances?: number;
  /** Magnitude of change tolerated, δ (default 0.005). */
  readonly delta?: number;
  /** Detection threshold λ (default 50). */
  readonly threshold?: number;
  /** Forgetting factor α of the cumulative sums (default 1 − 1e-4). */
  readonly alpha?: number;
  /** Watch increases of the mean (`up`), decreases (`down`) or both (default `both`). */
  readonly mode?: 'up' | 'down' | 'both';
}

/** Page–Hinkley's whole state (JSON-able). */
export interface PageHinkleyState {
  /** Values seen since the last reset, and their running mean. */
  n: number;
  mean: number;
  /** The two cumulative sums and their extremes (`minIncrease` is null before the first value: +∞). */
  sumIncrease: number;
  sumDecrease: number;
  minIncrease: number | null;
  maxDecrease: number;
  /** The last value detected a drift: the next value starts afresh (River's lazy reset). */
  driftDetected: boolean;
}

const MODES = ['up', 'down', 'both'] as const;

/**
 * The Page–Hinkley test (Page 1954), two-sided, as River's `drift.PageHinkley`.
 *
 * 1. n += 1; x̄ += (x − x̄)/n; d = x − x̄.
 * 2. S⁺ = α·S⁺ + d − δ, S⁻ = α·S⁻ + d + δ; m⁺ = min(m⁺, S⁺), M⁻ = max(M⁻, S⁻) (m⁺ starts at +∞,
 *    M⁻ at −1, as in River).
 * 3. Once n ≥ minInstances: T⁺ = S⁺ − m⁺, T⁻ = M⁻ − S⁻; a drift when T⁺ > λ (`up`), T⁻ > λ
 *    (`down`) or either (`both`).
 * 4. After a drift the next value starts from a fresh state (River resets lazily).
 * 5. `statistic` is the tested sum: T⁺, T⁻, or max(T⁺, T⁻) for `both`.
 *
 * @example
 * const detector = pageHinkley();
 * const state = detector.init();
 * for (let i = 0; i < 2000; i++) if (detector.update(state, i < 1000 ? 0 : 1) === 'drift') console.log(i); // 1051
 */
export function pageHinkley(options: PageHinkleyOptions = {}): DriftDetector<PageHinkleyState> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object of Page–Hinkley options', options);
  const minInstances = positiveInt('minInstances', options.minInstances ?? 30);
  const delta = inRange('delta', options.delta ?? 0.005, { min: 0 });
  const threshold = inRange('threshold', options.threshold ?? 50, { min: 0, minOpen: true });
  const alpha = inRange('alpha', options.alpha ?? 1 - 0.0001, { min: 0, max: 1 });
  const mode = options.mode ?? 'both';
  if (!MODES.includes(mode)) throw new RxgradError('mode', `one of ${MODES.join(', ')}`, mode);

  const init = (): PageHinkleyState => ({ n: 0, mean: 0, sumIncrease: 0, sumDecrease: 0, minIncrease: null, maxDecrease: -1, driftDetected: false });
  const tests = (s: PageHinkleyState): [number, number] => [s.sumIncrease - (s.minIncrease ?? s.sumIncrease), s.maxDecrease - s.sumDecrease];

  return {
    name: 'pageHinkley',
    init,
    update(s, x) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new RxgradError('x', 'a finite number (Page–Hinkley input)', x);
      if (s.driftDetected) Object.assign(s, init());
      s.n += 1;
      s.mean += (x - s.mean) / s.n;
      const dev = x - s.mean;
      s.sumIncrease = alpha * s.sumIncrease + dev - delta;
      s.sumDecrease = alpha * s.sumDecrease + dev + delta;
      if (s.minIncrease === null || s.sumIncrease < s.minIncrease) s.minIncrease = s.sumIncrease;
      if (s.sumDecrease > s.maxDecrease) s.maxDecrease = s.sumDecrease;
      if (s.n >= minInstances) {
        const [up, down] = tests(s);
        s.driftDetected = mode === 'up' ? up > threshold : mode === 'down' ? down > threshold : up > threshold || down > threshold;
      }
      return s.driftDetected ? 'drift' : 'none';
    },
    statistic(s) {
      const [up, down] = tests(s);
      return mode === 'up' ? up : mode === 'down' ? down : Math.max(up, down);
    },
  };
}
