import type { Observable } from 'rxjs';
import type { MetricsServer } from '../streams/sinks/MetricsServer';
import type { StepResult } from '../streams/Step';

/** A 2-D objective f(x) = a1·x1² + a2·x2², drawn as a contour by the dashboard. */
export interface QuadraticObjective {
  readonly kind: 'quadratic';
  readonly a: readonly [number, number];
  readonly x0: readonly [number, number];
}

/** Live controls a run can be driven with (all optional). */
export interface RunControls {
  /** Give the event loop a turn after this many ms of training (for live runs). */
  readonly yieldEveryMs?: number;
  /** `true` pauses the source, `false` resumes. */
  readonly paused?: Observable<boolean>;
  /** Live learning-rate override: replaces the schedule from the next step on. */
  readonly lr?: Observable<number>;
  /** Hyperparameters edited before a restart (e.g. `{ lr: 0.02, momentum: 0.9 }`), replacing the experiment's. */
  readonly hyper?: Readonly<Record<string, number>>;
  /** Optimizer names from the dashboard: swaps a run that has `optimizers` (see `optimize`'s `switchTo`). */
  readonly optimizer?: Observable<string>;
  /** The server the run is launched on: a run fed by producers takes its examples at this server's ingest endpoint. */
  readonly server?: MetricsServer;
}

/** One experiment of the chapter, runnable from the CLI, the dashboard or a test. */
export interface Experiment {
  /** Stable id, e.g. `airfoil-adam`. */
  readonly id: string;
  /** Human name as the book says it, e.g. `Adam, lr 0.01`. */
  readonly name: string;
  /** `trace` (2-D objective), `airfoil` (linear regression) or `online` (test-then-train on arriving data). */
  readonly group: 'trace' | 'airfoil' | 'online';
  /** Optimizer, hyperparameters and data, as shown in the dashboard's run table. */
  readonly config: Readonly<Record<string, unknown>>;
  /** For `trace` experiments: the objective to draw. */
  readonly objective?: QuadraticObjective;
  /** The optimizers the run can swap between from the dashboard (the first is in force at the start). */
  readonly optimizers?: readonly string[];
  /** The values the book prints for this experiment, when it prints any. */
  readonly book?: Readonly<Record<string, number>>;
  /**
   * A fresh run each call: its own parameters, freed when the stream ends. For `trace`
   * experiments each StepResult carries `values.x` (the point after the step). `airfoil` runs
   * report the loss on all 1500 rows in `info.fullLoss` every 200 examples, as the book's
   * plots do, the last step included. `online` runs carry `online` (test-then-train metrics
   * and baselines, ingest counters, drift events) on every StepResult.
   */
  run(controls?: RunControls): Observable<StepResult>;
}
