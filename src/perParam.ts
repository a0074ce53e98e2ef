import * as tf from '@tensorflow/tfjs';
import type { Tensors, UpdateResult } from './types';
import { RxgradError, shown } from './RxgradError';

/**
 * Run a per-parameter update over name-keyed state, the way every stateful transform does.
 *
 * 1. For each name in `grads`, `fn(g, state[name], name, params?.[name])` returns the update and
 *    that parameter's new state.
 * 2. Names in `state` but not in `grads` keep their state object unchanged (subsets are safe).
 * 3. A gradient for a name with no state throws, naming the parameter (see `stateOf`).
 * 4. The input state object is never mutated; a new one is returned.
 *
 * @example
 * const { updates, state } = perParam('trace', grads, s, params, (g, m) => {
 *   const next = m.mul(0.9).add(g);
 *   return [next, next];
 * });
 */
export function perParam<PS>(
  transform: string,
  grads: Tensors,
  state: Readonly<Record<string, PS>>,
  params: Tensors | undefined,
  fn: (g: tf.Tensor, s: PS, name: string, p: tf.Tensor | undefined) => readonly [tf.Tensor, PS],
): UpdateResult<Record<string, PS>> {
  const updates: Tensors = {};
  const next: Record<string, PS> = { ...state };
  for (const name of Object.keys(grads)) {
    const [u, s] = fn(grads[name], stateOf(transform, state, name), name, params?.[name]);
    updates[name] = u;
    next[name] = s;
  }
  return { updates, state: next };
}

/**
 * The state of parameter `name`, or an `RxgradError` naming the parameter when `transform.init()`
 * never saw it (a gradient for an unknown name).
 *
 * @example
 * stateOf('trace', { w: s }, 'w'); // s
 * stateOf('trace', { w: s }, 'v'); // throws "Expected `grads.v` to name a parameter that trace.init() was given (w), …"
 */
export function stateOf<PS>(transform: string, state: Readonly<Record<string, PS>>, name: string): PS {
  if (!(name in state)) {
    throw new RxgradError(
      `grads.${name}`,
      `to name a parameter that ${transform}.init() was given (${Object.keys(state).join(', ') || 'none'})`,
      shown(`a gradient for unknown parameter \`${name}\``),
    );
  }
  return state[name];
}
