import { RxgradError, shown } from '../RxgradError';
import { positiveInt } from '../validate';
import type { Metric } from './Metric';

/**
 * State of `rocAuc`: per score bin, the positives and negatives seen. Bin c holds the scores
 * above exactly c of the thresholds.
 */
export interface RocAucState {
  pos: number[];
  neg: number[];
}

/**
 * ROC AUC of a binary classifier, River's `ROCAUC` approximation: T thresholds
 * t_i = i/(T − 1) (t₀ − 1e−7, t_{T−1} + 1e−7), one confusion matrix per threshold (predict
 * positive when p > t_i), and the trapezoidal area under the T points (FPR_i, TPR_i).
 *
 * Why this and not an exact AUC: the exact cumulative AUC needs every score ever seen
 * (unbounded memory) and a windowed exact one would stop being cumulative. The trapezoid over
 * T thresholds is the Mann–Whitney statistic with scores binned between thresholds:
 *
 *   AUC = P(bin(p⁺) > bin(p⁻)) + ½ P(bin(p⁺) = bin(p⁻))
 *
 * exact whenever no positive and negative share a bin, off by at most half the share of
 * (positive, negative) pairs that do. Memory is 2(T + 1) counters and `update` is O(1) (the
 * example's bin is counted once instead of updating T matrices); `get` is O(T). With River's
 * default T = 10 the figures equal River's; `thresholds: 1000` makes the binning error negligible
 * for calibrated probabilities. `revert` makes it rollable (`rolling(rocAuc(), …)`).
 * Unlike River (which gives 0), the value is NaN until both classes have been seen.
 *
 * @example
 * const m = rocAuc();
 * const s = m.init();
 * [[0, 0.1], [0, 0.4], [1, 0.35], [1, 0.8]].forEach(([y, p]) => m.update(s, y, p > 0.5 ? 1 : 0, [1 - p, p], 0));
 * m.get(s); // 0.875 (River: "ROCAUC: 87.50%"; the exact AUC is 0.75, reached with thresholds: 20)
 */
export function rocAuc({ thresholds = 10 }: { thresholds?: number } = {}): Metric<RocAucState> {
  const t = positiveInt('thresholds', thresholds, 2);
  const cut = Array.from({ length: t }, (_, i) => i / (t - 1));
  cut[0] -= 1e-7;
  cut[t - 1] += 1e-7;
  /** Number of thresholds strictly below p. */
  const bin = (p: number): number => {
    let c = Math.min(t, Math.max(0, Math.ceil(p * (t - 1))));
    while (c > 0 && !(p > cut[c - 1])) c--;
    while (c < t && p > cut[c]) c++;
    return c;
  };
  const score = (proba: ArrayLike<number> | undefined): number => {
    if (proba === undefined || proba.length !== 2) {
      throw new RxgradError('proba', 'binary class probabilities [1 − p, p] (rocAuc needs them)', proba === undefined ? proba : shown(`length ${proba.length}`));
    }
    return proba[1];
  };
  const add = (s: RocAucState, y: number, proba: ArrayLike<number> | undefined, by: number): void => {
    const c = bin(score(proba));
    if (y === 1) s.pos[c] += by;
    else s.neg[c] += by;
  };
  return {
    name: 'rocAuc',
    bigger: true,
    needsProba: true,
    init: () => ({ pos: new Array(t + 1).fill(0), neg: new Array(t + 1).fill(0) }),
    update: (s, y, _yHat, proba) => add(s, y, proba, 1),
    revert: (s, y, _yHat, proba) => add(s, y, proba, -1),
    get: (s) => {
      let positives = 0;
      let negatives = 0;
      for (let c = 0; c <= t; c++) {
        positives += s.pos[c];
        negatives += s.neg[c];
      }
      if (positives === 0 || negatives === 0) return NaN;
      // Threshold i counts as predicted positive the bins c > i; walk i from T − 1 down to 0.
      let tp = s.pos[t];
      let fp = s.neg[t];
      let area = 0;
      for (let i = t - 1; i > 0; i--) {
        const tpr = tp / positives;
        const fpr = fp / negatives;
        tp += s.pos[i];
        fp += s.neg[i];
        area += ((fp / negatives - fpr) * (tp / positives + tpr)) / 2;
      }
      return area;
    },
  };
}
