import * as tf from '@tensorflow/tfjs';
import type { Tensors } from '../types';
import { RxgradError, shown } from '../RxgradError';
import type { ScheduleFreeState } from './scheduleFree';

function isScheduleFreeState(s: unknown): s is ScheduleFreeState {
  return s !== null && typeof s === 'object' && !Array.isArray(s) && 'z' in s && 'weightSum' in s && 'beta1' in s && 'base' in s;
}

function find(state: unknown): ScheduleFreeState[] {
  if (isScheduleFreeState(state)) return [state];
  if (state === null || typeof state !== 'object' || state instanceof tf.Tensor) return [];
  return Object.values(state).flatMap(find);
}

/**
 * The parameters to evaluate a schedule-free run at (x, the average), from the optimizer's state
 * and the parameters the run trains (y), as Optax's `contrib.schedule_free_eval_params`:
 *
 *   x = (y − (1 − β)·z) / β
 *
 * β is the one the last update formed y with (kept in the state), so a `beta1` schedule is exact.
 *
 * 1. `state` is a `scheduleFree` state (`scheduleFreeSgd`, `scheduleFreeAdamw`) or a state
 *    holding exactly one (a `chain`'s, a `multiTransform` group's, a wrapper's).
 * 2. Returns new tensors, owned by the caller, for every name of `params`; a name the state does
 *    not know, or another optimizer's state, throws an `RxgradError`.
 * 3. Training is not disturbed: neither `state` nor `params` change.
 *
 * @example
 * const x = scheduleFreeEvalParams(state, params); // evaluate the loss at x
 * disposeTree(x);
 */
export function scheduleFreeEvalParams(state: unknown, params: Tensors): Tensors {
  const found = find(state);
  if (found.length !== 1) throw new RxgradError('state', "the state of one scheduleFree optimizer (or a state holding exactly one)", shown(found.length === 0 ? 'none' : `${found.length} of them`));
  const s = found[0];
  for (const name of Object.keys(params)) {
    if (!(name in s.z)) throw new RxgradError(`params.${name}`, `a parameter the state knows (${Object.keys(s.z).join(', ') || 'none'})`, shown('unknown'));
  }
  const out: Tensors = {};
  tf.tidy(() => {
    for (const [name, y] of Object.entries(params)) out[name] = tf.keep(y.sub(s.z[name].mul(1 - s.beta1)).div(s.beta1));
  });
  return out;
}
