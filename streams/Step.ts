import type * as tf from '@tensorflow/tfjs';
import type { Hyper, Params, Tensors } from '../src/types';
import { disposeTree } from '../src/tree';
import { extend } from '../src/extend';
import type { RunScope } from './RunScope';

/** A supervised minibatch: features and targets, owned by the step that carries them. */
export interface Batch {
  readonly xs: tf.Tensor;
  readonly ys: tf.Tensor;
}

/**
 * One step of a run as it travels through the operators. Each operator adds or replaces one
 * field and passes a new object on; the step owns every tensor it holds.
 */
export interface Step<B = Batch> {
  /** 1-based step of the run. */
  readonly step: number;
  /** 1-based epoch. */
  readonly epoch: number;
  /** The minibatch (tensors owned by the step). */
  readonly batch: B;
  /** Examples in this batch. */
  readonly size: number;
  /** Examples seen so far, this batch included. */
  readonly examples: number;
  /** `performance.now()` when the source produced the step. */
  readonly startedAt: number;
  /**
   * Hyperparameter values in force for this step (`lr`, `momentum`, …): put there by `hyper`
   * operators, completed by `optimize` with the values the transform used.
   */
  readonly hyper: Hyper;
  /** The parameters being trained (not owned by the step), set by `gradients`. */
  readonly params?: Params;
  /** The minibatch loss, set by `gradients`. */
  readonly loss?: tf.Scalar;
  /** Gradients by parameter name, set by `gradients`. */
  readonly grads?: Tensors;
  /** Additive updates by parameter name, set by `optimize`. */
  readonly updates?: Tensors;
  /** Numbers the transforms reported for this update (`skipped`, `clipped` …). */
  readonly info?: Readonly<Record<string, number>>;
  /** The run this step belongs to (set by the source): ownership and checkpointable state. */
  readonly scope?: RunScope;
  /** Online learning's figures for this step (test-then-train metrics, ingest counters, drift). */
  readonly online?: OnlineReport;
  /** Test-then-train predictions for the batch's rows, made before the model learned from them. */
  readonly predictions?: Predictions;
}

/**
 * What `progressiveValidation` predicted for each of a batch's n rows with the parameters from
 * before the batch was learned (typed arrays, no tensors).
 */
export interface Predictions {
  readonly n: number;
  /** Predicted class index or value per row. */
  readonly yHat: Float32Array;
  /** Class probabilities, n × k row-major (classifiers only). */
  readonly proba?: Float32Array;
  /** Per-row error for drift detectors: 0/1 for classifiers, |y − ŷ| for regression. */
  readonly error: Float32Array;
}

/** Counters of a push source and its bounded queue; every bound has one. */
export interface IngestCounters {
  /** Examples that arrived (valid or not). */
  readonly received: number;
  /** Examples waiting in the queue now. */
  readonly queued: number;
  /** Examples handed to training. */
  readonly trained: number;
  /** Examples dropped by the queue's policy. */
  readonly dropped: number;
  /** Examples rejected as bad input, and the last reason. */
  readonly rejected: number;
  readonly lastReason?: string;
  /** Age in ms of the oldest queued example (0 when the queue is empty). */
  readonly lag: number;
  /** Durable sources (`jetstream`), since the subscription: messages acked (after the checkpoint holding them was durable). */
  readonly acked?: number;
  /** Deliveries that were redeliveries (delivery count > 1). */
  readonly redelivered?: number;
  /** Messages already in the model (or already held) when delivered again: skipped, not trained twice. */
  readonly duplicates?: number;
  /** Malformed messages republished to the dead-letter subject and terminated. */
  readonly deadLettered?: number;
  /** Messages this trainer holds unacked now (bounded by `maxAckPending`). */
  readonly ackPending?: number;
  /** The consumer's backlog: stream messages not yet delivered to it (refreshed about once a second). */
  readonly consumerPending?: number;
}

/** A drift a detector reported. */
export interface DriftEvent {
  readonly step: number;
  /** Examples seen when it was detected. */
  readonly examples: number;
  /** `adwin`, `pageHinkley`, `ddm`. */
  readonly detector: string;
  readonly status: 'warning' | 'drift';
  /** The detector's tested statistic at detection. */
  readonly statistic: number;
}

/** Online learning's figures, carried by a step and copied into its `StepResult`. */
export interface OnlineReport {
  /** Test-then-train metrics of the model by name (`accuracy`, `rolling.accuracy`, …). */
  readonly metrics?: Readonly<Record<string, number>>;
  /** The same metrics for each baseline (`noChange`, `majority`, `lastValue`, `mean`). */
  readonly baselines?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The source's counters. */
  readonly ingest?: IngestCounters;
  /** Predictions waiting for a label, and how many expired (TTL or cap). */
  readonly pending?: number;
  readonly expired?: number;
  /** Drifts detected so far, and those detected at this step. */
  readonly drifts?: number;
  readonly driftEvents?: readonly DriftEvent[];
  /** The step at which the last drift was detected (0 while none): where a schedule restarts. */
  readonly lastDrift?: number;
  /** This step's examples at which the detector was in a warning zone (a background model learns from them). */
  readonly driftWarnings?: number;
}

/**
 * What `applyUpdates` emits for every step: plain numbers only, safe to log, serialize or send.
 */
export interface StepResult {
  readonly step: number;
  readonly epoch: number;
  /** Minibatch loss before the update. */
  readonly loss: number;
  /** Learning rate in force (NaN when the run has none). */
  readonly lr: number;
  /** Every hyperparameter in force at this step. */
  readonly hyper: Hyper;
  /** Global L2 norm of the gradients. */
  readonly gradNorm: number;
  /** Global L2 norm of the applied updates. */
  readonly updateNorm: number;
  /** Examples in this step's batch. */
  readonly size: number;
  /** Examples seen so far. */
  readonly examples: number;
  /** Milliseconds from the source producing the step to the update being applied. */
  readonly time: number;
  /** Wall-clock ms when the update was applied (`Date.now()`'s clock, read with `time`'s: `wallClock`). */
  readonly wallTime: number;
  /** Numbers reported by the transforms (`skipped`, `clipped` …). */
  readonly info: Readonly<Record<string, number>>;
  /** Values of the parameters named in `applyUpdates(params, { track })`, flattened. */
  readonly values?: Readonly<Record<string, readonly number[]>>;
  /** Online learning's figures (copied from the step). */
  readonly online?: OnlineReport;
}

/**
 * The step with `fields` added or replaced: how an operator passes a step on.
 *
 * 1. A new object (`extend`): the input step is not modified.
 * 2. The new object stays the same step for ownership: it is recorded with the step's run
 *    (`scope.own`) as the newest version, so if the step is dropped on the way (filter, a throwing
 *    tap, an unsubscribe) the run frees exactly the tensors this version holds (see `RunScope`).
 *    A step without a scope (made by hand) is not recorded.
 *
 * @example
 * out.next(advance(step, { loss, grads }));
 */
export function advance<B, F extends Partial<Step<B>>>(step: Step<B>, fields: F): Step<B> {
  const next = extend(step, fields) as Step<B>;
  next.scope?.own(next);
  return next;
}

/**
 * Dispose every tensor a step holds (batch, loss, gradients, updates), and tell its run the step
 * is finished (`scope.finish`: older steps still open were dropped and are freed too). Safe to
 * call twice.
 *
 * @example
 * disposeStep(step);
 */
export function disposeStep(step: Step<unknown>): void {
  disposeTree([step.batch, step.loss, step.grads, step.updates]);
  step.scope?.finish(step);
}
