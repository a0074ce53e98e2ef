/**
 * An online metric as a state machine whose whole state is a JSON-able object (so it goes into
 * a checkpoint as it is). River's `update` / `get`, with the state outside the object.
 *
 * 1. `init()` returns a fresh state.
 * 2. `update(state, y, yHat, proba, time)` folds one example into `state` **in place** (no
 *    allocation per example); `y` is the true label or value, `yHat` the predicted label or
 *    value, `proba` the class probabilities (length k; `[1 − p, p]` for binary) where the model
 *    gives them, `time` the example's time in ms (rolling-by-time windows use it).
 * 3. `get(state)` is the metric's value (NaN before any example).
 * 4. `JSON.parse(JSON.stringify(state))` continues exactly as `state` would.
 * 5. `revert(state, …)` with the arguments of an earlier `update` takes that example out again
 *    (River's `revert`): what `rolling` uses to forget the oldest example of its window.
 */
export interface Metric<S = unknown> {
  /** River's name, camelCase: `accuracy`, `logLoss`, `rocAuc`, `f1`, `mae`, `rmse`, `r2`. */
  readonly name: string;
  /** Larger is better (accuracy) or smaller is better (log loss). */
  readonly bigger: boolean;
  /** Needs `proba` (log loss, ROC AUC). */
  readonly needsProba: boolean;
  init(): S;
  update(state: S, y: number, yHat: number, proba: ArrayLike<number> | undefined, time: number): void;
  get(state: S): number;
  revert?(state: S, y: number, yHat: number, proba: ArrayLike<number> | undefined, time: number): void;
}
