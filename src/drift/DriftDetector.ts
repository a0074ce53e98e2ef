/** What a detector says after one value. */
export type DriftStatus = 'none' | 'warning' | 'drift';

/**
 * A concept-drift detector as a state machine whose whole state is a JSON-able object, with
 * River's parameter names (camelCase) and defaults.
 *
 * 1. `init()` returns a fresh state.
 * 2. `update(state, x)` folds one value (an error 0/1, a loss …) into `state` **in place** and
 *    says whether a drift (or, for DDM, a warning) was detected at this value. After a drift
 *    the state resets itself, as River's detectors do.
 * 3. `statistic(state)` is the number the detector tests (ADWIN's window mean, Page–Hinkley's
 *    cumulative sum, DDM's p + s), reported with a drift event.
 * 4. `JSON.parse(JSON.stringify(state))` continues exactly as `state` would.
 */
export interface DriftDetector<S = unknown> {
  /** `adwin`, `pageHinkley`, `ddm`. */
  readonly name: string;
  init(): S;
  update(state: S, x: number): DriftStatus;
  statistic(state: S): number;
}
