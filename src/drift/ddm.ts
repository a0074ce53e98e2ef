import { RxgradError } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import type { DriftDetector } from './DriftDetector';

/** Options of `ddm`: River's `drift.binary.DDM` parameters, camelCase, with River's defaults. */
export interface DdmOptions {
  /** Values seen before a warning or drift may be reported (default 30). */
  readonly warmStart?: number;
  /** Warning when p + s > p_min + warningThreshold·s_min (default 2). */
  readonly warningThreshold?: number;
  /** Drift when p + s > p_min + driftThreshold·s_min (default 3). */
  readonly driftThreshold?: number;
}

/** DDM's whole state (JSON-able). */
export interface DdmState {
  /** Values seen since the last reset, and their error rate p. */
  n: number;
  p: number;
  /** p and s where p + s was smallest (null before the warm start ends). */
  pMin: number | null;
  sMin: number | null;
  /** The last value detected a drift (the next value starts afresh), or is in the warning zone. */
  driftDetected: boolean;
  warningDetected: boolean;
}

/**
 * DDM, the Drift Detection Method (Gama et al. 2004), on a 0/1 error stream, as River's
 * `drift.binary.DDM`.
 *
 * 1. n += 1; p += (x − p)/n; s = √(p(1 − p)/n).
 * 2. Once n > warmStart: when p + s ≤ p_min + s_min (or no minimum yet), p_min = p, s_min = s.
 * 3. `warning` when p + s > p_min + warningThreshold·s_min; `drift` when
 *    p + s > p_min + driftThreshold·s_min (a drift is not also a warning).
 * 4. After a drift the next value starts from a fresh state (River resets lazily).
 * 5. `statistic` is p + s.
 *
 * @example
 * const detector = ddm();
 * const state = detector.init();
 * for (let i = 0; i < 400; i++) if (detector.update(state, i < 200 ? +(i % 10 === 0) : +(i % 2 === 0)) === 'drift') console.log(i); // 222 (warnings from 210)
 */
export function ddm(options: DdmOptions = {}): DriftDetector<DdmState> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object of DDM options', options);
  const warmStart = positiveInt('warmStart', options.warmStart ?? 30, 0);
  const warningThreshold = inRange('warningThreshold', options.warningThreshold ?? 2, { min: 0, minOpen: true });
  const driftThreshold = inRange('driftThreshold', options.driftThreshold ?? 3, { min: 0, minOpen: true });

  const init = (): DdmState => ({ n: 0, p: 0, pMin: null, sMin: null, driftDetected: false, warningDetected: false });
  const sOf = (s: DdmState): number => (s.n === 0 ? 0 : Math.sqrt((s.p * (1 - s.p)) / s.n));

  return {
    name: 'ddm',
    init,
    update(s, x) {
      if (x !== 0 && x !== 1) throw new RxgradError('x', '0 or 1 (DDM watches a 0/1 error stream)', x);
      if (s.driftDetected) Object.assign(s, init());
      s.n += 1;
      s.p += (x - s.p) / s.n;
      const si = sOf(s);
      if (s.n > warmStart) {
        if (s.pMin === null || s.sMin === null || s.p + si <= s.pMin + s.sMin) {
          s.pMin = s.p;
          s.sMin = si;
        }
        s.warningDetected = s.p + si > s.pMin + warningThreshold * s.sMin;
        if (s.p + si > s.pMin + driftThreshold * s.sMin) {
          s.driftDetected = true;
          s.warningDetected = false;
        }
      }
      return s.driftDetected ? 'drift' : s.warningDetected ? 'warning' : 'none';
    },
    statistic: (s) => s.p + sOf(s),
  };
}
