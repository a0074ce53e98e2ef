import { RxgradError } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import type { Metric } from './Metric';

/** A rolling window: the last `window` examples, or those of the last `windowMs` milliseconds (at most `cap`). */
export type RollingWindow = { readonly window: number } | { readonly windowMs: number; readonly cap?: number };

/**
 * State of `rolling`: the inner metric's state and a circular buffer of the window's examples
 * (capacity fixed at `init`, so the state's size is bounded).
 */
export interface RollingState<S> {
  inner: S;
  /** Index of the oldest example and number of examples in the window. */
  head: number;
  size: number;
  y: number[];
  yHat: number[];
  time: number[];
  /** Probabilities per example (0 until the first `proba` arrives) and their k × capacity values. */
  k: number;
  proba: number[];
  /** Examples that left a time window early because it held `cap` examples. */
  early: number;
}

/**
 * A metric over a sliding window (River's `Rolling` and `TimeRolling`): every example is added
 * to the inner metric and remembered; the oldest are taken out again with the inner metric's
 * `revert`.
 *
 * 1. `{ window: w }`: the last w examples.
 * 2. `{ windowMs, cap = 10000 }`: the examples with time > t − windowMs, t the newest example's
 *    time (River's `TimeRolling`: an example exactly windowMs old has left). The window holds at
 *    most `cap` examples: beyond that the oldest leave early and are counted in `state.early`.
 *    Examples are expected in time order (the oldest arrival leaves first).
 * 3. The state is JSON-able and bounded: the inner state plus circular buffers of the window's
 *    capacity (y, ŷ, time, and the k probabilities once `proba` is given). No allocation per
 *    example.
 * 4. The name is `rolling.<inner name>`.
 *
 * @example
 * const m = rolling(accuracy(), { window: 2 });
 * const s = m.init();
 * [[1, 1], [0, 1], [1, 1]].forEach(([y, yHat]) => m.update(s, y, yHat, undefined, 0));
 * m.get(s); // the last two: ½
 */
export function rolling<S>(metric: Metric<S>, window: RollingWindow): Metric<RollingState<S>> {
  if (metric === null || typeof metric !== 'object' || typeof metric.revert !== 'function') {
    throw new RxgradError('metric', 'a metric with revert()', metric);
  }
  if (window === null || typeof window !== 'object' || ('window' in window) === ('windowMs' in window)) {
    throw new RxgradError('window', 'exactly one of { window } or { windowMs, cap? }', window);
  }
  const byTime = 'windowMs' in window;
  const span = byTime ? inRange('windowMs', window.windowMs, { min: 0, minOpen: true }) : Infinity;
  const capacity = byTime ? positiveInt('cap', window.cap ?? 10_000) : positiveInt('window', window.window);
  const revert = metric.revert.bind(metric);
  let scratch = new Float64Array(0);

  const evict = (s: RollingState<S>): void => {
    const i = s.head;
    let proba: Float64Array | undefined;
    if (s.k > 0) {
      if (scratch.length !== s.k) scratch = new Float64Array(s.k);
      for (let j = 0; j < s.k; j++) scratch[j] = s.proba[i * s.k + j];
      proba = scratch;
    }
    revert(s.inner, s.y[i], s.yHat[i], proba, s.time[i]);
    s.head = (i + 1) % capacity;
    s.size -= 1;
  };

  return {
    name: `rolling.${metric.name}`,
    bigger: metric.bigger,
    needsProba: metric.needsProba,
    init: () => ({
      inner: metric.init(),
      head: 0,
      size: 0,
      y: new Array(capacity).fill(0),
      yHat: new Array(capacity).fill(0),
      time: new Array(capacity).fill(0),
      k: 0,
      proba: [],
      early: 0,
    }),
    update: (s, y, yHat, proba, time) => {
      if (proba !== undefined && s.k === 0 && s.size === 0) {
        s.k = proba.length;
        s.proba = new Array(capacity * s.k).fill(0);
      }
      if ((proba?.length ?? 0) !== s.k) throw new RxgradError('proba', s.k === 0 ? 'none (the window started without)' : `${s.k} probabilities`, proba);
      if (byTime) while (s.size > 0 && s.time[s.head] <= time - span) evict(s);
      if (s.size === capacity) {
        if (byTime) s.early += 1;
        evict(s);
      }
      metric.update(s.inner, y, yHat, proba, time);
      const i = (s.head + s.size) % capacity;
      s.y[i] = y;
      s.yHat[i] = yHat;
      s.time[i] = time;
      for (let j = 0; j < s.k; j++) s.proba[i * s.k + j] = proba![j];
      s.size += 1;
    },
    get: (s) => (s.size === 0 ? NaN : metric.get(s.inner)),
  };
}
