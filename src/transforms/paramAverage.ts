import * as tf from '@tensorflow/tfjs';
import type { Tensors } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { bool, inRange, positiveInt } from '../validate';
import { checkMatches, mapTree, zerosLike } from '../tree';
import { share } from '../share';

/**
 * How `paramAverage` averages: an exponential moving average (Polyak averaging, Optax's `ema`
 * applied to the parameters) or SWA's equal average (PyTorch's `AveragedModel`).
 */
export type AverageMethod =
  | { readonly ema: number; readonly debias?: boolean }
  | { readonly swa: { readonly start: number; readonly every?: number } };

/** State of `paramAverage`: the averages made (`count`) and the running average by parameter name. */
export interface AverageState {
  readonly count: number;
  readonly average: Tensors;
}

/** An averager of parameter values (pure: the state is returned, never mutated). */
export interface ParamAverage {
  /** Zeros shaped like the parameters, count 0. */
  init(params: Tensors): AverageState;
  /** The state after the parameters' values at 1-based `step` (the same object when this step is not averaged). */
  update(state: AverageState, params: Tensors, step: number): AverageState;
  /** The averaged values as new tensors the caller owns (the parameters' own values while count is 0). */
  value(state: AverageState, params: Tensors): Tensors;
}

/**
 * Average the parameters over training, as separate copies.
 *
 * `{ ema: β, debias = true }` — every step (Optax's `ema`, with its debiasing):
 *
 *   a_0 = 0,  a_n = β·a_{n−1} + (1 − β)·x_n,   value = a_n / (1 − βⁿ)  (debias)  |  a_n
 *
 * `{ swa: { start, every = 1 } }` — at steps t ≥ start with (t − start) mod every = 0
 * (PyTorch's `AveragedModel` with its default equal average, `update_parameters` called there):
 *
 *   a_1 = x,  a_n = a_{n−1} + (x − a_{n−1})/n        (the mean of the n averaged values)
 *
 * 1. The state is `{ count, average }` (JSON-able through `serializeState`).
 *    PyTorch's usual once-per-epoch `update_parameters` from epoch E on is
 *    `{ swa: { start: E·n, every: n } }` with n steps per epoch (the last step of each epoch).
 * 2. `update` checks that the parameters match the state (names, shapes) and runs in one `tf.tidy`.
 *
 * @example
 * const avg = paramAverage({ ema: 0.5 });
 * let s = avg.init({ w: tf.zeros([1]) });
 * s = avg.update(s, { w: tf.tensor([2]) }, 1); // a₁ = 1, value 1/(1 − 0.5) = 2
 */
export function paramAverage(method: AverageMethod): ParamAverage {
  if (method === null || typeof method !== 'object' || ('ema' in method) === ('swa' in method)) {
    throw new RxgradError('method', 'either { ema: decay } or { swa: { start } }', method);
  }
  let due: (step: number) => boolean;
  let mix: (a: tf.Tensor, x: tf.Tensor, n: number) => tf.Tensor;
  let finish: (a: tf.Tensor, n: number) => tf.Tensor;
  if ('ema' in method) {
    const beta = inRange('ema', method.ema, { min: 0, max: 1, maxOpen: true });
    const debias = bool('debias', method.debias ?? true);
    due = () => true;
    mix = (a, x) => a.mul(beta).add(x.mul(1 - beta));
    finish = (a, n) => (debias ? a.div(1 - beta ** n) : share(a));
  } else {
    const swa = method.swa;
    if (swa === null || typeof swa !== 'object') throw new RxgradError('swa', 'an object { start, every }', swa);
    const start = positiveInt('swa.start', swa.start);
    const every = positiveInt('swa.every', swa.every ?? 1);
    due = (t) => t >= start && (t - start) % every === 0;
    mix = (a, x, n) => a.add(x.sub(a).div(n));
    finish = (a) => share(a);
  }
  return {
    init: (params) => ({ count: 0, average: zerosLike(params) }),
    update: (state, params, step) => {
      checkMatches(params, state.average, 'param');
      if (Object.keys(params).length !== Object.keys(state.average).length) {
        throw new RxgradError('params', `the parameters the average was made for (${Object.keys(state.average).join(', ')})`, shown(Object.keys(params).join(', ')));
      }
      if (!due(positiveInt('step', step))) return state;
      const count = state.count + 1;
      return { count, average: tf.tidy(() => mapTree(state.average, (a, n) => mix(a, params[n], count))) };
    },
    value: (state, params) => tf.tidy(() => (state.count === 0 ? mapTree(params, (x) => share(x)) : mapTree(state.average, (a) => finish(a, state.count)))),
  };
}
