import * as tf from '@tensorflow/tfjs';
import type { HyperValue, Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { stateOf } from '../perParam';
import { checkShape } from '../tree';
import { withDefaults } from './withDefaults';
import { hyperparameters } from './hyperparameters';

/** Options of `scheduleFree` (Optax's `contrib.schedule_free`: `b1` as `beta1`). */
export interface ScheduleFreeOptions {
  /** γ_t, the learning rate of the base optimizer (the same option given to it), which weights the average (≥ 0). */
  readonly lr?: HyperValue;
  /** β, the interpolation y = (1 − β)·z + β·x (in (0, 1]). */
  readonly beta1?: HyperValue;
  /** p, the power of the largest learning rate so far in the averaging weight (≥ 0). */
  readonly weightLrPower?: HyperValue;
}

/**
 * State of `scheduleFree`: the base optimizer's state, each parameter's z, the β its current y
 * was formed with (1 before the first update: y = x = z), the sum of averaging weights, the
 * largest learning rate so far and the update count.
 */
export interface ScheduleFreeState {
  readonly count: number;
  readonly beta1: number;
  readonly weightSum: number;
  readonly maxLr: number;
  readonly z: Readonly<Record<string, tf.Tensor>>;
  readonly base: unknown;
}

/**
 * Defaults of `scheduleFree` (Optax's `contrib.schedule_free`; `lr` has no default there).
 *
 * @example
 * scheduleFreeDefaults.beta1; // 0.9
 */
export const scheduleFreeDefaults: Readonly<Required<ScheduleFreeOptions>> = { lr: 1e-3, beta1: 0.9, weightLrPower: 2 };

/**
 * Schedule-free learning (Defazio et al. 2024, "The Road Less Scheduled"), as Optax's
 * `contrib.schedule_free`: the base optimizer (without momentum) moves z; the parameters the
 * caller holds are the gradient points y; x, the average to evaluate at, is recovered from y and z.
 *
 *   w_t   = (max_{s≤t} γ_s)^p,   c_t = w_t / Σ_{s≤t} w_s   (0 while Σ w = 0)
 *   z_t   = z_{t-1} + base(g_t)                 (base(g) = −γ_t·g for SGD)
 *   x_{t-1} = (y_{t-1} − (1 − β')·z_{t-1}) / β'  (β' the β y_{t-1} was formed with)
 *   x_t   = (1 − c_t)·x_{t-1} + c_t·z_t
 *   y_t   = β·x_t + (1 − β)·z_t,        u_t = y_t − y_{t-1}
 *
 * 1. Needs `params` (y); z starts as a copy of them. Evaluate the model at x, not y:
 *    `scheduleFreeEvalParams(state, params)`.
 * 2. `lr`, `beta1` and `weightLrPower` accept a number or a schedule and are overridden by
 *    `ctx.hyper`; `beta1` and `weightLrPower` on the step are the wrapper's and are not passed to
 *    `base`, `lr` is read by both (give `base` the same `lr` option).
 * 3. Grads may be a subset of the names: the others keep their z; the weights count updates.
 *
 * @example
 * const opt = scheduleFree(chain(scaleByLearningRate(1)), { lr: 1 }); // = scheduleFreeSgd()
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function scheduleFree(base: Transform<any>, options: ScheduleFreeOptions = {}): Transform<ScheduleFreeState> {
  const o = withDefaults('scheduleFree', options, scheduleFreeDefaults);
  const hp = hyperparameters({ lr: [o.lr, { min: 0 }], beta1: [o.beta1, { min: 0, minOpen: true, max: 1 }], weightLrPower: [o.weightLrPower, { min: 0 }] });
  const own = new Set<string>(['beta1', 'weightLrPower']);
  const baseCtx = (ctx?: UpdateContext): UpdateContext | undefined => {
    if (!ctx?.hyper || !Object.keys(ctx.hyper).some((k) => own.has(k))) return ctx;
    return { ...ctx, hyper: Object.fromEntries(Object.entries(ctx.hyper).filter(([k]) => !own.has(k))) };
  };
  return {
    hyper: [...new Set([...base.hyper, ...hp.names])],
    init: (params: Tensors): ScheduleFreeState => {
      if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
      const z: Record<string, tf.Tensor> = {};
      for (const [name, p] of Object.entries(params)) {
        if (!(p instanceof tf.Tensor)) throw new RxgradError(`params.${name}`, 'a tensor', p);
        z[name] = p.clone();
      }
      return { count: 0, beta1: 1, weightSum: 0, maxLr: 0, z, base: base.init(params) };
    },
    update: (grads: Tensors, state: ScheduleFreeState, params?: Tensors, ctx?: UpdateContext): UpdateResult<ScheduleFreeState> => {
      const count = state.count + 1;
      const h = hp.resolve(ctx, count);
      for (const name of Object.keys(grads)) {
        const z = stateOf('scheduleFree', state.z, name);
        if (params?.[name] === undefined) throw new RxgradError(`params.${name}`, 'the parameter (schedule-free updates y from x and z)', shown('none'));
        checkShape(grads[name], z, name, 'grad');
      }
      const maxLr = Math.max(state.maxLr, h.lr);
      const weight = maxLr ** h.weightLrPower;
      const weightSum = state.weightSum + weight;
      const c = weightSum > 0 ? weight / weightSum : 0;
      const out = tf.tidy(() => {
        const r = base.update(grads, state.base, params, baseCtx(ctx));
        const updates: Tensors = {};
        const z: Record<string, tf.Tensor> = { ...state.z };
        for (const name of Object.keys(grads)) {
          const y = params![name];
          const zNew = state.z[name].add(r.updates[name]);
          const xPrev = y.sub(state.z[name].mul(1 - state.beta1)).div(state.beta1);
          const x = xPrev.mul(1 - c).add(zNew.mul(c));
          updates[name] = x.mul(h.beta1).add(zNew.mul(1 - h.beta1)).sub(y);
          z[name] = zNew;
        }
        return { updates, z, base: r.state, ...(r.info && { info: r.info }), ...(r.used && { used: r.used }) } as unknown as tf.TensorContainer;
      }) as unknown as { updates: Tensors; z: Record<string, tf.Tensor>; base: unknown; info?: Record<string, number>; used?: Record<string, number> };
      return {
        updates: out.updates,
        state: { count, beta1: h.beta1, weightSum, maxLr, z: out.z, base: out.base },
        ...(out.info && { info: out.info }),
        used: { ...out.used, ...h },
      };
    },
  };
}
