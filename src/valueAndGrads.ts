import * as tf from '@tensorflow/tfjs';
import { RxgradError, shown } from './RxgradError';
import type { Params, Tensors } from './types';

interface TapeNode {
  readonly saved?: readonly tf.Tensor[];
}
interface EngineState {
  gradientDepth: number;
  activeTape?: TapeNode[] | null; // undefined on an engine that has not computed a gradient yet
}

/**
 * tfjs leaves the gradient tape behind when the function given to `variableGrads` throws: the
 * tensors it saved for the backward pass are never freed (2 or more per failed call). Do what
 * tfjs does after a successful outermost gradient: free them and drop the tape.
 */
function dropAbandonedTape(): void {
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * The loss and its gradient with respect to every named parameter:
 *
 *   value = L(x),   grads[name] = ∂L/∂x[name]
 *
 * 1. `f` must return a scalar tensor; anything else throws an `RxgradError` with its shape.
 * 2. When `f` throws, or tfjs fails after it (a loss connected to no parameter), no tensor is left
 *    behind (unlike a bare `tf.variableGrads`).
 * 3. Gradients are keyed by the names of `params`, never by variable names or positions. A
 *    parameter the loss does not depend on gets no key (as PyTorch leaves its `grad` None): the
 *    transforms then leave it and its state alone.
 *
 * @example
 * const { value, grads } = valueAndGrads(() => tf.sum(tf.square(params.w)), params);
 */
export function valueAndGrads(f: () => tf.Scalar, params: Params): { value: tf.Scalar; grads: Tensors } {
  const names = Object.keys(params);
  const vars = names.map((n) => params[n]);
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  let loss: tf.Tensor | undefined; // tfjs can fail after f returned (a loss connected to no parameter)
  try {
    result = tf.variableGrads(() => {
      const l: unknown = f();
      if (!(l instanceof tf.Tensor)) throw new RxgradError('loss', 'a scalar tensor', l);
      if (l.rank !== 0) throw new RxgradError('loss', 'a scalar tensor (rank 0)', shown(`shape [${l.shape.join(', ')}]`));
      return (loss = l) as tf.Scalar;
    }, vars);
  } catch (err) {
    dropAbandonedTape();
    loss?.dispose();
    throw err;
  }
  const grads: Tensors = {};
  names.forEach((name, i) => {
    const g = result.grads[vars[i].name];
    if (g !== undefined) grads[name] = g;
  });
  return { value: result.value, grads };
}
