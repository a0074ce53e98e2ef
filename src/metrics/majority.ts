import { positiveInt } from '../validate';
import type { Baseline } from './Baseline';
import { checkClass } from './checkClass';

/** State of `majority`: how often each class was seen. */
export interface MajorityState {
  counts: number[];
}

/**
 * The majority-so-far classifier (River's `dummy.PriorClassifier`): predicts the most frequent
 * label seen so far (the lowest index on ties), with the class frequencies as probabilities.
 *
 *   ŷ_t = argmax_c n_c,   p_t = n / Σ_c n_c;   before any label: ŷ = 0, p uniform (1/k)
 *
 * @example
 * const b = majority();
 * const s = b.init();
 * [1, 0, 1].forEach((y) => b.learn(s, y, 0));
 * b.predict(s, 0); // 1, with probabilities [⅓, ⅔]
 */
export function majority({ classes = 2 }: { classes?: number } = {}): Baseline<MajorityState> {
  const k = positiveInt('classes', classes, 2);
  const proba = new Float64Array(k);
  return {
    name: 'majority',
    classes: k,
    init: () => ({ counts: new Array(k).fill(0) }),
    predict: (s) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (s.counts[j] > s.counts[best]) best = j;
      return best;
    },
    predictProba: (s) => {
      let total = 0;
      for (let j = 0; j < k; j++) total += s.counts[j];
      for (let j = 0; j < k; j++) proba[j] = total === 0 ? 1 / k : s.counts[j] / total;
      return proba;
    },
    learn: (s, y) => {
      s.counts[checkClass('y', y, k)] += 1;
    },
  };
}
