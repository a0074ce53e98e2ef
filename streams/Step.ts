import type * as tf from '@tensorflow/tfjs';
import type { Hyper, Params, Tensors } from '../src/types';
import { disposeTree } from '../src/tree';

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
  /** `Date.now()` when the update was applied. */
  readonly wallTime: number;
  /** Numbers reported by the transforms (`skipped`, `clipped` …). */
  readonly info: Readonly<Record<string, number>>;
  /** Values of the parameters named in `applyUpdates(params, { track })`, flattened. */
  readonly values?: Readonly<Record<string, readonly number[]>>;
}

/**
 * Dispose every tensor a step holds (batch, loss, gradients, updates). Safe to call twice.
 *
 * @example
 * disposeStep(step);
 */
export function disposeStep(step: Step<unknown>): void {
  disposeTree([step.batch, step.loss, step.grads, step.updates]);
}
