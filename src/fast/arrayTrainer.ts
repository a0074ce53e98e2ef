import * as tf from '@tensorflow/tfjs';
import type { Hyper, Params, Tensors, UpdateContext } from '../types';
import type { ArrayTransform } from '../optimizers/fusedChain';
import type { SteadyLane } from '../optimizers/SteadyLane';
import { fromValues, values } from '../kernels/values';
import { StorageSlot } from '../kernels/StorageSlot';
import type { AnalyticLoss } from './AnalyticLoss';
import { sameEntries } from '../sameEntries';

/** One training step's figures on the fused path, as `applyUpdates` reports them. */
export interface ArrayStep<S> {
  /** L(x_{t−1}; batch), rounded to float32 as the general path's scalar tensor holds it. */
  readonly loss: number;
  /** ‖g‖₂ over every parameter. */
  readonly gradNorm: number;
  /** ‖u‖₂ over every parameter. */
  readonly updateNorm: number;
  /** The optimizer's state after the update (same tensors where written in place). */
  readonly state: S;
  /** Whether the state holds new tensors (the caller frees those it replaced, `disposeReplaced`). */
  readonly replaced: boolean;
  /** The hyperparameter values the optimizer used. */
  readonly used: Hyper;
}

/**
 * Why a step was refused before any parameter was assigned: a non-finite update u, or a
 * non-finite x + u, of parameter `name`; `state` is the optimizer's state after its kernel ran.
 */
export interface ArrayStepRefusal<S> {
  readonly refused: 'update' | 'sum';
  readonly name: string;
  readonly state: S;
  readonly replaced: boolean;
}

/** One parameter's kernel output in `arrayTrainer`: `update` is `next` (u is not kept, only Σu²); both are swapped with the parameter's storage after a step. */
interface LeanOutput {
  update: Float32Array;
  next: Float32Array;
  updateSq: number;
  gradSq: number;
}

/**
 * Gradient, optimizer update and parameter assignment of one step, on arrays.
 *
 * 1. `grads` holds one float32 tensor per parameter, made once: the analytic gradient is written
 *    into their storage each step, so the optimizer's plan sees tensors of the right shapes.
 * 2. `step(state, x, y, n, ctx)` runs the loss's analytic forward/backward pass
 *    (`analytic.backward`) on the parameters' own storage, then the optimizer's in-place kernel
 *    (`updateArrays`) writing x + u into an array per parameter (u itself is not kept: the kernel
 *    reports Σu² and Σg² from the same pass, `InPlaceOutput`); then, when every u and every
 *    x + u is finite, makes each x + u the parameter's storage by swapping arrays (`StorageSlot`:
 *    O(1), no copy; the storage replaced is where the next step writes). A parameter that shares
 *    its storage (a clone, a SIMD arena) is assigned a new tensor on that array instead, once, and
 *    owns its storage from then on.
 *    Otherwise nothing is assigned, the parameters' storage and values are untouched, and the
 *    refusal names the first bad parameter in the parameters' order (a non-finite u before a
 *    non-finite x + u).
 * 3. In steady state on the `cpu` backend (where `transform.runsArrays`, checked by the caller
 *    once per run) no tensor and no array is created: only numbers and whatever small records
 *    the optimizer's `updateArrays` makes. After a switch to another backend the results stay
 *    the same, on copies (each step then assigns a new tensor). The optimizer sees `ctx` with the
 *    previous step's `hyper` record while the new one holds the same keys and values (sources
 *    make a record per step; an unchanged record resolves at once, `hyperparameters`). While the
 *    state and that record are those of the last update's `SteadyLane` (`ArrayTransform`, 4) and
 *    it is `ready` (every moment still its tensor's own storage), the lane runs instead of
 *    `updateArrays`: the same kernels and counts, without the call (per warm online example 9 %
 *    less time with plain SGD, 12 % with momentum, 10 % with Adam; same-process A/B).
 * 4. `dispose()` frees the gradient tensors.
 *
 *   loss, g = L(x_{t−1}; batch), ∂L/∂x;   (u, state_t) = T(g, state_{t−1}, x_{t−1}, ctx);   x_t = x_{t−1} + u
 *   gradNorm = √(Σ g²),   updateNorm = √(Σ u²)   over every parameter
 *
 * @example
 * const m = logisticRegression(2);
 * const opt = sgd({ lr: 0.1 }) as ArrayTransform<unknown[]>;
 * const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
 * const r = trainer.step(opt.init(m.params), Float32Array.of(1, 2), [1], 1, { step: 1, epoch: 1, hyper: {} });
 * // r.loss = log 2; w = [0.05, 0.1], b = [0.05]   (g = σ(0) − 1 = −½ times x, u = −0.1·g)
 * trainer.dispose();
 */
export function arrayTrainer<S>(analytic: AnalyticLoss, params: Params, transform: ArrayTransform<S>) {
  const { names, shapes } = analytic;
  const k = names.length;
  const grads: Tensors = {};
  const gradArrays: Float32Array[] = [];
  const sizes: number[] = [];
  const out: Record<string, LeanOutput> = {};
  const outs: LeanOutput[] = [];
  for (let i = 0; i < k; i++) {
    const size = shapes[i].reduce((a, b) => a * b, 1);
    sizes.push(size);
    gradArrays.push(new Float32Array(size));
    const next = new Float32Array(size);
    outs.push((out[names[i]] = { update: next, next, updateSq: 0, gradSq: 0 }));
  }
  // Keys in the parameters' order, as `gradients` puts them on the step (the optimizer plans in that order).
  const order = Object.keys(params);
  const ordered = order.map((name) => names.indexOf(name));
  for (let j = 0; j < order.length; j++) grads[order[j]] = fromValues(gradArrays[ordered[j]], shapes[ordered[j]]);
  // The parameter variables, in the loss's order (read once, as the scorer reads them).
  const variables = names.map((name) => params[name]);
  const slots = variables.map((p) => StorageSlot.of(p));
  const theta: Float32Array[] = new Array(k);
  // Each parameter's own storage this step (`StorageSlot`), or undefined where it is shared.
  const own: (Float32Array | undefined)[] = new Array(k);
  // The same arrays in the parameters' order, as `updateArrays` takes them (`ArrayInputs`).
  const inputs = { g: ordered.map((i) => gradArrays[i]), x: new Array<Float32Array>(k) };
  // What the optimizer sees as ctx: the step's, with the previous step's hyperparameter record
  // while the values are the same (sources make a new record per step; the transforms resolve an
  // unchanged record at once, `hyperparameters`).
  const context: { step?: number; epoch?: number; hyper?: Hyper } = {};
  let hyperKeys = 0;
  // The outputs in the parameters' order (a lane's `outs`), and the optimizer's steady update ready to run (`SteadyLane`).
  const outsInOrder = ordered.map((i) => outs[i]);
  let lane: SteadyLane<S> | undefined;
  return {
    grads,
    step(state: S, x: Float32Array, y: ArrayLike<number>, n: number, ctx: UpdateContext): ArrayStep<S> | ArrayStepRefusal<S> {
      context.step = ctx.step;
      context.epoch = ctx.epoch;
      if (ctx.hyper !== context.hyper && !sameEntries(ctx.hyper, context.hyper, hyperKeys)) {
        context.hyper = ctx.hyper;
        hyperKeys = ctx.hyper === undefined ? 0 : Object.keys(ctx.hyper).length;
      }
      for (let i = 0; i < k; i++) {
        const p = variables[i];
        const v = (own[i] = slots[i].own(p));
        theta[i] = v ?? values(p);
      }
      for (let j = 0; j < k; j++) inputs.x[j] = theta[ordered[j]];
      const loss = analytic.backward(theta, x, y, n, gradArrays);
      let next: S;
      let replaced: boolean;
      let used: Hyper;
      let bad: string | undefined;
      if (lane !== undefined && lane.state === state && lane.hyper === context.hyper && lane.ready()) {
        bad = lane.run(inputs, outsInOrder);
        next = state;
        replaced = false;
        used = lane.used;
      } else {
        const r = transform.updateArrays(grads, state, params, context, out, inputs);
        next = r.state;
        replaced = r.replaced;
        used = r.used;
        bad = r.bad;
        lane = r.lane;
      }
      let gradSq = 0;
      let updateSq = 0;
      for (let j = 0; j < ordered.length; j++) {
        const o = outs[ordered[j]];
        const sq = o.updateSq;
        if (!Number.isFinite(sq)) return { refused: 'update', name: order[j], state: next, replaced };
        updateSq += sq;
        gradSq += o.gradSq;
      }
      if (bad !== undefined) return { refused: 'sum', name: bad, state: next, replaced };
      for (let i = 0; i < k; i++) {
        const o = outs[i];
        if (own[i] !== undefined) o.update = o.next = slots[i].swap(o.next);
        else {
          const p = variables[i];
          const next = fromValues(o.next, p.shape);
          p.assign(next);
          next.dispose();
          o.update = o.next = new Float32Array(sizes[i]);
        }
      }
      return { loss: Math.fround(loss), gradNorm: Math.sqrt(gradSq), updateNorm: Math.sqrt(updateSq), state: next, replaced, used };
    },
    dispose: (): void => tf.dispose(Object.values(grads)),
  };
}

/** What `arrayTrainer` returns. */
export type ArrayTrainer<S> = ReturnType<typeof arrayTrainer<S>>;
