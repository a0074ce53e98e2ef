import type * as tf from '@tensorflow/tfjs';

/** Trainable parameters, keyed by name. Updates are applied in place with `assign`. */
export type Params = Record<string, tf.Variable>;

/** Any name-keyed set of tensors: gradients, updates, moments. Never positional. */
export type Tensors = Record<string, tf.Tensor>;

/** Gradients of the loss with respect to each named parameter. */
export type Grads = Tensors;

/** Additive updates: the parameter after the step is `x_t = x_{t-1} + updates[name]`. */
export type Updates = Tensors;

/** Hyperparameter values in force at one step, e.g. `{ lr: 0.01, beta1: 0.9 }`. */
export type Hyper = Readonly<Record<string, number>>;

/**
 * A pure function of the (1-based) step, and optionally the (1-based) epoch, giving a
 * hyperparameter value.
 */
export type Schedule = (step: number, epoch?: number) => number;

/** A hyperparameter given to a transform: a constant or a schedule. */
export type HyperValue = number | Schedule;

/**
 * What a pipeline tells a transform about the step being taken. Everything is optional: a
 * transform used without RxJS works from its own state alone.
 */
export interface UpdateContext {
  /** 1-based step of the run (not of the transform). */
  readonly step?: number;
  /** 1-based epoch. */
  readonly epoch?: number;
  /** Hyperparameter values in force; these override a transform's own options. */
  readonly hyper?: Hyper;
}

/** What `Transform.update` returns: new tensors, never the inputs mutated. */
export interface UpdateResult<S> {
  readonly updates: Tensors;
  readonly state: S;
  /**
   * Plain numbers a transform reports about this update (e.g. `{ skipped: 1 }` from
   * `skipNonFinite`, `{ clipped: 1 }` from clipping); `chain` merges them and the pipeline
   * copies them into the step's metrics.
   */
  readonly info?: Readonly<Record<string, number>>;
  /** The hyperparameter values this update used (`{ lr: 0.01 }`), reported in the step's metrics. */
  readonly used?: Hyper;
}

/**
 * A gradient transform (Optax's GradientTransformation, name-keyed).
 *
 * 1. `init(params)` builds the state for exactly these parameter names.
 * 2. `update(grads, state, params, ctx)` returns the transformed updates and a *new* state; the
 *    input state is never mutated. The caller owns both inputs and outputs, and disposes
 *    superseded state with `disposeReplaced(old, next)`.
 * 3. `grads` may be any subset of the names in the state; missing names keep their state.
 * 4. `hyper` lists the hyperparameter names this transform reads from `ctx.hyper`.
 */
export interface Transform<S = unknown> {
  init(params: Tensors): S;
  update(grads: Tensors, state: S, params?: Tensors, ctx?: UpdateContext): UpdateResult<S>;
  readonly hyper: readonly string[];
  /**
   * Check a state whose layout is not `init`'s alone (e.g. `swappable`, whose inner state is that of
   * the optimizer in force); `checkStateLayout` defers to it when present.
   */
  checkState?(state: unknown, params: Tensors, path: string): void;
}
