/**
 * A trivial predictor run beside a model on the same stream, as a state machine whose whole
 * state is a JSON-able object (River's `dummy` module): so a user always sees whether the model
 * beats the trivial.
 *
 * 1. `init()` returns a fresh state.
 * 2. `predict(state, time)` is the prediction for an example arriving now: a class index
 *    (classifiers) or a value (regression); `predictProba(state)` the k class probabilities
 *    (classifiers only: `classes` is k), written into an array the baseline reuses — valid until
 *    its next call, copy what you keep.
 * 3. `learn(state, y, time)` folds the true label or value into `state` in place.
 * 4. `JSON.parse(JSON.stringify(state))` continues exactly as `state` would.
 */
export interface Baseline<S = unknown> {
  /** `noChange`, `majority` (classifiers), `lastValue`, `runningMean` (regression). */
  readonly name: string;
  /** Number of classes of a classifier baseline; undefined for regression. */
  readonly classes?: number;
  init(): S;
  predict(state: S, time: number): number;
  predictProba?(state: S): Float64Array;
  learn(state: S, y: number, time: number): void;
}
