import * as tf from '@tensorflow/tfjs';
import { addUpdates, disposeReplaced, disposeTree, type Params, type Tensors, type Transform } from '../../src/index';
import type { InPlaceTransform } from '../../src/optimizers/fusedChain';

/**
 * `steps` updates the way `optimize` + `applyUpdates` make them on state they own (in place when
 * `inPlace`), returning every step's parameter values; `after` sees the parameters after each step.
 *
 * @example
 * expect(runOwned(adam(), true, params, grads, 40)).toEqual(runOwned(adam(), false, params, grads, 40));
 */
export function runOwned(opt: Transform<any>, inPlace: boolean, params0: Tensors, grads: (t: number) => Tensors, steps: number, after?: (params: Params) => void): number[][][] {
  const params = Object.fromEntries(Object.entries(params0).map(([n, p]) => [n, tf.variable(p.clone())]));
  let state = opt.init(params);
  const xs: number[][][] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grads(t);
    const r = inPlace ? (opt as InPlaceTransform<any>).updateInPlace(g, state, params, { step: t }) : opt.update(g, state, params, { step: t });
    disposeReplaced(state, r.state);
    state = r.state;
    addUpdates(params, r.updates);
    disposeTree([g, r.updates]);
    xs.push(Object.values(params).map((p) => Array.from(p.dataSync())));
    after?.(params);
  }
  disposeTree([state, params]);
  return xs;
}
