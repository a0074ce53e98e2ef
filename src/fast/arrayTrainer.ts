import * as tf from '@tensorflow/tfjs';
import type { Hyper, Params, Tensors, UpdateContext } from '../types';
import type { ArrayTransform } from '../optimizers/fusedChain';
import type { InPlaceOutput } from '../kernels/InPlaceOutput';
import { sumOfSquaresKernel } from '../kernels/sumOfSquaresKernel';
import { fromValues, ownValues, values } from '../kernels/values';
import type { AnalyticLoss } from './AnalyticLoss';

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

/**
 * Gradient, optimizer update and parameter assignment of one step, on arrays.
 *
 * 1. `grads` holds one float32 tensor per parameter, made once: the analytic gradient is written
 *    into their storage each step, so the optimizer's plan sees tensors of the right shapes.
 * 2. `step(state, x, y, n, ctx)` runs the loss's analytic forward/backward pass
 *    (`analytic.backward`) on the parameters' own storage, then the optimizer's in-place kernel
 *    (`updateArrays`) writing u and x + u into arrays made once; then, when every u and every
 *    x + u is finite, copies x + u into each parameter's storage (`ownValues`; a parameter that
 *    shares its storage is assigned a new tensor once, and owns its storage from then on).
 *    Otherwise nothing is assigned and the refusal names the first bad parameter.
 * 3. In steady state no tensor is created: only numbers and the optimizer's small state
 *    objects. For the `cpu` backend (where `transform.runsArrays`, checked by the caller once per
 *    run); after a switch to another backend the results stay right, on copies.
 * 4. `dispose()` frees the gradient tensors.
 *
 *   loss, g = L(x_{t−1}; batch), ∂L/∂x;   (u, state_t) = T(g, state_{t−1}, x_{t−1}, ctx);   x_t = x_{t−1} + u
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
  const order = Object.keys(params);
  const grads: Tensors = {};
  const gradArrays: Float32Array[] = [];
  const out: Record<string, InPlaceOutput> = {};
  for (let i = 0; i < names.length; i++) {
    const size = shapes[i].reduce((a, b) => a * b, 1);
    const g = new Float32Array(size);
    gradArrays.push(g);
    out[names[i]] = { update: new Float32Array(size), next: new Float32Array(size) };
  }
  // Keys in the parameters' order, as `gradients` puts them on the step (the optimizer plans in that order).
  for (const name of order) grads[name] = fromValues(gradArrays[names.indexOf(name)], shapes[names.indexOf(name)]);
  const theta: Float32Array[] = new Array(names.length);
  // Each parameter's own storage this step (`ownValues`), or undefined where it is shared.
  const own: (Float32Array | undefined)[] = new Array(names.length);
  const byName = { g: {} as Record<string, Float32Array>, x: {} as Record<string, Float32Array> };
  for (let i = 0; i < names.length; i++) byName.g[names[i]] = gradArrays[i];
  return {
    grads,
    step(state: S, x: Float32Array, y: ArrayLike<number>, n: number, ctx: UpdateContext): ArrayStep<S> | ArrayStepRefusal<S> {
      for (let i = 0; i < names.length; i++) {
        const p = params[names[i]];
        own[i] = ownValues(p);
        theta[i] = byName.x[names[i]] = own[i] ?? values(p);
      }
      const loss = analytic.backward(theta, x, y, n, gradArrays);
      let gradSq = 0;
      for (let i = 0; i < gradArrays.length; i++) gradSq += sumOfSquaresKernel(gradArrays[i]);
      const r = transform.updateArrays(grads, state, params, ctx, out, byName);
      let updateSq = 0;
      for (const name of order) {
        const sq = sumOfSquaresKernel(out[name].update);
        if (!Number.isFinite(sq)) return { refused: 'update', name, state: r.state, replaced: r.replaced };
        updateSq += sq;
      }
      if (r.bad !== undefined) return { refused: 'sum', name: r.bad, state: r.state, replaced: r.replaced };
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        const p = params[name];
        const storage = own[i];
        if (storage !== undefined) storage.set(out[name].next);
        else {
          const next = fromValues(out[name].next.slice(), p.shape);
          p.assign(next);
          next.dispose();
        }
      }
      return { loss: Math.fround(loss), gradNorm: Math.sqrt(gradSq), updateNorm: Math.sqrt(updateSq), state: r.state, replaced: r.replaced, used: r.used };
    },
    dispose: (): void => tf.dispose(Object.values(grads)),
  };
}

/** What `arrayTrainer` returns. */
export type ArrayTrainer<S> = ReturnType<typeof arrayTrainer<S>>;
