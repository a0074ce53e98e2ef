import * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import { positiveInt } from '../../src/validate';
import type { Params } from '../../src/types';
import type { Step } from '../Step';
import { drive, type DriveOptions } from './drive';

/** A deterministic test problem: minimise f(x) from x0, one "batch" per step. */
export interface Objective {
  /** `{ x }`: the point being optimized, a variable starting at `x0`. */
  readonly params: Params & { readonly x: tf.Variable };
  /** The loss for `gradients`: f(params.x). */
  readonly loss: (params: Params) => tf.Scalar;
  /** `steps` steps (epoch 1) carrying no batch. */
  readonly steps: Observable<Step<null>>;
  /** Frees `params.x`. */
  dispose(): void;
}

/** Options of `objective`. */
export interface ObjectiveOptions extends DriveOptions {
  /** Number of steps (default 20, as in the book's figures). */
  readonly steps?: number;
}

/**
 * A 2-D (or n-D) objective as a stream of steps, for the book's optimizer traces.
 *
 * 1. `params.x` starts at `x0`; `loss(params)` is `f(params.x)`.
 * 2. `steps` emits `options.steps` steps with `batch: null`, epoch 1; each subscription is a
 *    run (`step.scope`) that frees what a dropped step holds.
 *
 * @example
 * const p = objective((x) => x.square().mul([1, 2]).sum(), [-5, -2], { steps: 20 });
 * p.steps.pipe(gradients(p.loss, p.params), optimize(sgd({ lr: 0.1 })), applyUpdates(p.params, { track: ['x'] }))
 *   .subscribe((r) => console.log(r.values?.x));
 */
export function objective(f: (x: tf.Tensor1D) => tf.Scalar, x0: readonly number[], options: ObjectiveOptions = {}): Objective {
  if (typeof f !== 'function') throw new RxgradError('f', 'a function of x returning a scalar', f);
  if (!Array.isArray(x0) || x0.length === 0 || !x0.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new RxgradError('x0', 'a non-empty array of finite numbers', x0);
  }
  const count = positiveInt('steps', options.steps ?? 20);
  const x = tf.tidy(() => tf.variable(tf.tensor1d(x0 as number[]), true));
  return {
    params: { x },
    loss: (params) => f(params.x as tf.Tensor1D),
    steps: drive<Step<null>>((scope) => {
      let step = 0;
      return () =>
        step >= count
          ? undefined
          : scope.own({ step: ++step, epoch: 1, batch: null, size: 1, examples: step, startedAt: performance.now(), hyper: {}, scope });
    }, options),
    dispose: () => x.dispose(),
  };
}
