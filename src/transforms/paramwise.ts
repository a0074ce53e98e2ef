import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError } from '../RxgradError';
import { perParam } from '../perParam';
import { checkMatches, tensorsIn } from '../tree';
import { hyperparameters, type HyperSpec } from './hyperparameters';

/** One parameter's state in a paramwise transform: its own fields plus how many updates it received. */
export type ParamState<PS> = PS & { readonly count: number };

/**
 * State of a paramwise transform: how many updates the transform made (`count`, the step at
 * which schedules are evaluated without a pipeline) and each parameter's state by name.
 */
export interface ParamwiseState<PS> {
  readonly count: number;
  readonly params: Readonly<Record<string, ParamState<PS>>>;
}

/** What a paramwise transform is made of: its hyperparameters and its per-parameter equations. */
export interface ParamwiseDefinition<PS, H extends string> {
  /** The transform's name, used in error messages. */
  readonly name: string;
  /** Hyperparameters `[option, interval]` by name (validated at construction, resolved per update). */
  readonly hyper: Readonly<Record<H, HyperSpec>>;
  /** A rule between hyperparameters (e.g. nesterov needs momentum), checked at construction and per update. */
  readonly check?: (h: Readonly<Record<H, number>>) => void;
  /** One parameter's initial state. */
  init(p: tf.Tensor): PS;
  /**
   * One parameter's update: `g` its (already checked) gradient, `s` its state, `h` the
   * hyperparameter values in force, `t` its 1-based update count, `p` its value (if given).
   * Returns the update and the new state; must not return `g` or a tensor of `s` as the update.
   */
  update(g: tf.Tensor, s: ParamState<PS>, h: Readonly<Record<H, number>>, t: number, p: tf.Tensor | undefined): readonly [tf.Tensor, PS];
}

/**
 * Build a name-keyed, per-parameter transform from its equations. Every stateful transform of
 * rxgrad is one.
 *
 * 1. `init(params)` gives `{ count: 0, params: { [name]: { ...def.init(p), count: 0 } } }`.
 * 2. `update` resolves the hyperparameters once (`ctx.hyper[name]` overrides the option; see
 *    `hyperparameters`), checks `def.check`, then in ONE `tf.tidy` runs `def.update` for each
 *    gradient with that parameter's count t = count + 1, and reports the values as `used`.
 * 3. A gradient whose shape differs from its parameter's (or its state's) throws an
 *    `RxgradError` naming the parameter and both shapes; a gradient for a name `init` never saw
 *    throws; names absent from `grads` keep their state object unchanged.
 * 4. The input state is never mutated.
 *
 * @example
 * const decay = paramwise({
 *   name: 'decay', hyper: { rate: [0.5, { min: 0 }] },
 *   init: () => ({}),
 *   update: (g, s, h) => [g.mul(h.rate), {}],
 * });
 * decay.update({ w: tf.tensor([2]) }, decay.init({ w: tf.tensor([0]) })).updates.w; // [1]
 */
export function paramwise<PS, H extends string>(def: ParamwiseDefinition<PS, H>): Transform<ParamwiseState<PS>> {
  const hp = hyperparameters(def.hyper);
  if (def.check && hp.constants) def.check(hp.constants);
  return {
    hyper: hp.names,
    init: (params: Tensors) => {
      if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
      const states: Record<string, ParamState<PS>> = {};
      for (const [name, p] of Object.entries(params)) {
        if (!(p instanceof tf.Tensor)) throw new RxgradError(`params.${name}`, 'a tensor', p);
        states[name] = { ...def.init(p), count: 0 };
      }
      return { count: 0, params: states };
    },
    update: (grads: Tensors, state: ParamwiseState<PS>, params?: Tensors, ctx?: UpdateContext) => {
      const count = state.count + 1;
      const h = hp.resolve(ctx, count);
      def.check?.(h);
      const r = tf.tidy(() =>
        perParam(def.name, grads, state.params, params, (g, s, name, p) => {
          if (!(g instanceof tf.Tensor)) throw new RxgradError(`grads.${name}`, 'a tensor', g);
          for (const ref of p ? [p, ...tensorsIn(s)] : tensorsIn(s)) checkMatches({ [name]: g }, { [name]: ref }, 'grad');
          const t = s.count + 1;
          const [u, next] = def.update(g, s, h, t, p);
          return [u, { ...next, count: t }] as const;
        }) as unknown as tf.TensorContainer,
      ) as unknown as UpdateResult<Record<string, ParamState<PS>>>;
      return { updates: r.updates, state: { count, params: r.state }, used: h };
    },
  };
}
