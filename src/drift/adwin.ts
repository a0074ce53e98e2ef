import { RxgradError } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import type { DriftDetector } from './DriftDetector';

/** Options of `adwin`: River's `drift.ADWIN` parameters, camelCase, with River's defaults. */
export interface AdwinOptions {
  /** Significance value δ of the cut test (default 0.002). */
  readonly delta?: number;
  /** Test for a cut every `clock` values (default 32). */
  readonly clock?: number;
  /** Buckets of each size kept before two are merged (default 5). */
  readonly maxBuckets?: number;
  /** Smallest sub-window a cut may leave on either side (default 5). */
  readonly minWindowLength?: number;
  /** No test until the window holds more than this many values (default 10). */
  readonly gracePeriod?: number;
}

/**
 * ADWIN's whole state (JSON-able). Level i of the exponential histogram holds buckets that each
 * summarise 2^i values, oldest first: `totals[i][k]` their sum, `variances[i][k]` their sum of
 * squared deviations.
 */
export interface AdwinState {
  /** Sum of the values in the window. */
  total: number;
  /** Sum of squared deviations from the window mean (River's `variance`: not divided by the width). */
  variance: number;
  /** Values in the window. */
  width: number;
  /** Values seen since the last reset (the clock counts them). */
  tick: number;
  totals: number[][];
  variances: number[][];
  /** The last value detected a drift: the next value starts from a fresh window (River's lazy reset). */
  driftDetected: boolean;
}

/**
 * ADWIN (ADaptive WINdowing, Bifet & Gavaldà 2007) as in River ≥ 0.25 (`rust_src/adwin.rs`),
 * operation for operation so that detections land on the same values.
 *
 * 1. Insert x: width W += 1; variance V += (W − 1)(x − total/(W − 1))²/W (when W > 1); total += x.
 *    x enters level 0; a level holding maxBuckets + 1 buckets merges its two oldest into one
 *    bucket of the next level (total t₀ + t₁, variance v₀ + v₁ + n·(μ₀ − μ₁)²/2 with n = 2^i).
 * 2. Every `clock` values, once W > gracePeriod, scan every cut from the oldest bucket to the
 *    newest (every bucket of every level, the newest excepted): W₀ = the older part (n₀, u₀),
 *    W₁ the rest (n₁, u₁). With δ' = ln(2·ln W / δ) and 1/m = 1/(n₀ − L + 1) + 1/(n₁ − L + 1)
 *    (L = minWindowLength), the cut holds when n₀ ≥ L, n₁ ≥ L and
 *        |u₀/n₀ − u₁/n₁| > √(2·(1/m)·(V/W)·δ') + (2/3)·δ'·(1/m).
 * 3. On a cut the oldest bucket is dropped (W −= n, total −= u,
 *    V −= v + n·W·(u/n − total/W)²/(n + W)) and the scan starts again; the value reports `drift`.
 * 4. After a drift the next value starts from an empty window (River resets lazily, so
 *    `statistic` still describes the window at detection).
 * 5. `statistic` is the window mean total/W (River's `estimation`; 0 for an empty window).
 *
 * @example
 * const detector = adwin();
 * const state = detector.init();
 * for (let i = 0; i < 2000; i++) if (detector.update(state, i < 1000 ? i % 2 : 5 + (i % 2)) === 'drift') console.log(i); // 1023
 */
export function adwin(options: AdwinOptions = {}): DriftDetector<AdwinState> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object of ADWIN options', options);
  const delta = inRange('delta', options.delta ?? 0.002, { min: 0, max: 1, minOpen: true, maxOpen: true });
  const clock = positiveInt('clock', options.clock ?? 32);
  const maxBuckets = positiveInt('maxBuckets', options.maxBuckets ?? 5);
  const minWindowLength = positiveInt('minWindowLength', options.minWindowLength ?? 5);
  const gracePeriod = positiveInt('gracePeriod', options.gracePeriod ?? 10, 0);

  const init = (): AdwinState => ({ total: 0, variance: 0, width: 0, tick: 0, totals: [[]], variances: [[]], driftDetected: false });

  const insert = (s: AdwinState, x: number): void => {
    s.totals[0].push(x);
    s.variances[0].push(0);
    s.width += 1;
    let inc = 0;
    if (s.width > 1) {
      const d = x - s.total / (s.width - 1);
      inc = ((s.width - 1) * d * d) / s.width;
    }
    s.variance += inc;
    s.total += x;
    for (let i = 0; s.totals[i].length === maxBuckets + 1; i++) {
      const n = 2 ** i;
      const [t0, t1] = s.totals[i];
      const [v0, v1] = s.variances[i];
      const mu0 = t0 / n;
      const mu1 = t1 / n;
      if (i + 1 === s.totals.length) {
        s.totals.push([]);
        s.variances.push([]);
      }
      s.totals[i + 1].push(t0 + t1);
      s.variances[i + 1].push(v0 + v1 + n * 0.5 * (mu0 - mu1) * (mu0 - mu1));
      s.totals[i].splice(0, 2);
      s.variances[i].splice(0, 2);
    }
  };

  const dropOldest = (s: AdwinState): void => {
    const last = s.totals.length - 1;
    const n = 2 ** last;
    const u = s.totals[last][0];
    const v = s.variances[last][0];
    const mu = u / n;
    s.width -= n;
    s.total -= u;
    const muWindow = s.total / s.width;
    s.variance -= v + (n * s.width * (mu - muWindow) * (mu - muWindow)) / (n + s.width);
    s.totals[last].shift();
    s.variances[last].shift();
    if (s.totals[last].length === 0) {
      s.totals.pop();
      s.variances.pop();
    }
  };

  const cut = (s: AdwinState, n0: number, n1: number, deltaMean: number): boolean => {
    const deltaPrime = Math.log((2 * Math.log(s.width)) / delta);
    const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
    const epsilon = Math.sqrt(2 * mRecip * (s.variance / s.width) * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
    return Math.abs(deltaMean) > epsilon;
  };

  const detect = (s: AdwinState): boolean => {
    let detected = false;
    s.tick += 1;
    if (s.tick % clock !== 0 || s.width <= gracePeriod) return false;
    let again = true;
    while (again) {
      again = false;
      let n0 = 0;
      let n1 = s.width;
      let u0 = 0;
      let u1 = s.total;
      scan: for (let i = s.totals.length - 1; i >= 0; i--) {
        const size = 2 ** i;
        const level = s.totals[i];
        for (let k = 0; k < level.length; k++) {
          n0 += size;
          n1 -= size;
          u0 += level[k];
          u1 -= level[k];
          if (i === 0 && k === level.length - 1) break scan;
          if (n1 >= minWindowLength && n0 >= minWindowLength && cut(s, n0, n1, u0 / n0 - u1 / n1)) {
            again = true;
            detected = true;
            if (s.width > 0) {
              dropOldest(s);
              break scan;
            }
          }
        }
      }
    }
    return detected;
  };

  return {
    name: 'adwin',
    init,
    update(s, x) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new RxgradError('x', 'a finite number (ADWIN input)', x);
      if (s.driftDetected) Object.assign(s, init());
      insert(s, x);
      s.driftDetected = detect(s);
      return s.driftDetected ? 'drift' : 'none';
    },
    statistic: (s) => (s.width === 0 ? 0 : s.total / s.width),
  };
}
