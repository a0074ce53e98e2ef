import * as tf from '@tensorflow/tfjs';
import type { Tensors, UpdateContext } from '../types';
import { RxgradError } from '../RxgradError';
import { stateOf } from '../perParam';
import { checkShape, tensorsIn } from '../tree';
import { hyperparameters, type HyperSpec } from './hyperparameters';
import type { PlannedTransform, UpdatePlan } from './PlannedTransform';

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
  /**
   * Whether every tensor of a parameter's state has the parameter's shape (default true), checked
   * against each gradient; false for reduced statistics (Adafactor's row and column moments).
   */
  readonly stateShaped?: boolean;
  /** A precondition on one parameter's value (e.g. weight decay needs it), checked per update before any arithmetic. */
  readonly checkParam?: (p: tf.Tensor | undefined, h: Readonly<Record<H, number>>) => void;
  /** One parameter's initial state. */
  init(p: tf.Tensor): PS;
  /**
   * One parameter's update: `g` its (already checked) gradient, `s` its state, `h` the
   * hyperparameter values in force, `t` its 1-based update count, `p` its value (if given).
   * Returns the update and the new state; must not return `g` or a tensor of `s` as the update.
   */
  update(g: tf.Tensor, s: ParamState<PS>, h: Readonly<Record<H, number>>, t: number, p: tf.Tensor | undefined): readonly [tf.Tensor, PS];
}

/** A paramwise transform's plan: the values in force and each parameter's state before the update. */
export interface ParamwisePlan<PS> extends UpdatePlan {
  readonly params: Readonly<Record<string, ParamState<PS>>>;
}

/** A transform built by `paramwise`. */
export type ParamwiseTransform<PS> = PlannedTransform<ParamwiseState<PS>, ParamwisePlan<PS>>;

/**
 * Build a name-keyed, per-parameter transform from its equations. Every stateful transform of
 * rxgrad is one.
 *
 * 1. `init(params)` gives `{ count: 0, params: { [name]: { ...def.init(p), count: 0 } } }`.
 * 2. `update` resolves the hyperparameters once (`ctx.hyper[name]` overrides the option; see
 *    `hyperparameters`), checks `def.check`, then in ONE `tf.tidy` runs `def.update` for each
 *    gradient with that parameter's count t = count + 1, and reports the values as `used`.
 * 3. A gradient whose shape differs from its parameter's (or its state's, unless `stateShaped` is false) throws an
 *    `RxgradError` naming the parameter and both shapes; a gradient for a name `init` never saw
 *    throws; `def.checkParam` runs for each gradient; names absent from `grads` keep their state
 *    object unchanged.
 * 4. The input state is never mutated.
 * 5. `plan` does the checks and resolution of 2–3 without arithmetic, `advance` builds the new
 *    state from each parameter's new fields (see `PlannedTransform`); `update` is made of both.
 *    `replan` is `plan` for the next update of the same gradients, parameters and state tensors:
 *    the hyperparameters, `def.check` and `def.checkParam`, not the name and shape checks.
 *    `advanceInPlace` advances the counts of a state whose tensors a kernel wrote in place, in
 *    its own records (`PlannedTransform`, 5).
 *
 * @example
 * const decay = paramwise({
 *   name: 'decay', hyper: { rate: [0.5, { min: 0 }] },
 *   init: () => ({}),
 *   update: (g, s, h) => [g.mul(h.rate), {}],
 * });
 * decay.update({ w: tf.tensor([2]) }, decay.init({ w: tf.tensor([0]) })).updates.w; // [1]
 */
export function paramwise<PS, H extends string>(def: ParamwiseDefinition<PS, H>): ParamwiseTransform<PS> {
  const hp = hyperparameters(def.hyper);
  if (def.check && hp.constants) def.check(hp.constants);
  const plan = (grads: Tensors, state: ParamwiseState<PS>, params?: Tensors, ctx?: UpdateContext): ParamwisePlan<PS> => {
    const count = state.count + 1;
    const hyper = hp.resolve(ctx, count);
    def.check?.(hyper);
    for (const name of Object.keys(grads)) {
      const s = stateOf(def.name, state.params, name);
      const g = grads[name];
      const p = params?.[name];
      if (!(g instanceof tf.Tensor)) throw new RxgradError(`grads.${name}`, 'a tensor', g);
      if (p) checkShape(g, p, name, 'grad');
      if (def.stateShaped !== false) for (const ref of tensorsIn(s)) checkShape(g, ref, name, 'grad');
      def.checkParam?.(p, hyper);
    }
    return { count, hyper, params: state.params };
  };
  // The names of the last gradients `replan` saw (the same record from update to update).
  let keysOf: Tensors | undefined;
  let names: string[] = [];
  // `plan` without the checks of names and shapes (see `PlannedTransform`, 4).
  const replan = (previous: ParamwisePlan<PS>, grads: Tensors, state: ParamwiseState<PS>, params?: Tensors, ctx?: UpdateContext): ParamwisePlan<PS> => {
    const count = state.count + 1;
    const hyper = hp.resolve(ctx, count);
    // The same values as the previous update's (the same record, `hyperparameters`): checked then.
    if (hyper === previous.hyper) return { count, hyper, params: state.params };
    def.check?.(hyper);
    if (def.checkParam) {
      if (grads !== keysOf) names = Object.keys((keysOf = grads));
      for (let i = 0; i < names.length; i++) def.checkParam(params?.[names[i]], hyper);
    }
    return { count, hyper, params: state.params };
  };
  // `{ ...state.params, [name]: extend(fields[name], { count }) … }` built by keyed stores, in the
  // same key order (a fused loop advances every step: spreads and `Object.assign` cost more).
  const advance = (state: ParamwiseState<PS>, p: ParamwisePlan<PS>, fields: Readonly<Record<string, object>>): ParamwiseState<PS> => {
    const next: Record<string, ParamState<PS>> = {};
    for (const name in state.params) {
      const f = fields[name] as Record<string, unknown> | undefined;
      if (f === undefined) {
        next[name] = state.params[name];
        continue;
      }
      const s: Record<string, unknown> = {};
      for (const key in f) s[key] = f[key];
      s.count = state.params[name].count + 1;
      next[name] = s as ParamState<PS>;
    }
    return { count: p.count, params: next };
  };
  // `advance` for fields holding the state's own tensors, in the state's own records (see `PlannedTransform`, 5).
  const advanceInPlace = (state: ParamwiseState<PS>, p: ParamwisePlan<PS>, names: readonly string[]): ParamwiseState<PS> => {
    const params = state.params as Record<string, { count: number }>;
    for (let i = 0; i < names.length; i++) params[names[i]].count += 1;
    (state as { count: number }).count = p.count;
    return state;
  };
  // The records `advanceInPlace` raises, while the hyperparameters depend on `ctx.hyper` alone (see `PlannedTransform`, 6).
  const counters = (state: ParamwiseState<PS>, names: readonly string[]): { count: number }[] | undefined => {
    if (hp.constants === undefined) return undefined;
    const out = [state as { count: number }];
    for (let i = 0; i < names.length; i++) out.push(state.params[names[i]] as { count: number });
    return out;
  };
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
    plan,
    replan,
    advance,
    advanceInPlace,
    counters,
    update: (grads: Tensors, state: ParamwiseState<PS>, params?: Tensors, ctx?: UpdateContext) => {
      const p = plan(grads, state, params, ctx);
      const h = p.hyper as Readonly<Record<H, number>>;
      const { updates, fields } = tf.tidy(() => {
        const updates: Tensors = {};
        const fields: Record<string, PS> = {};
        for (const name of Object.keys(grads)) {
          const s = state.params[name];
          [updates[name], fields[name]] = def.update(grads[name], s, h, s.count + 1, params?.[name]);
        }
        return { updates, fields } as unknown as tf.TensorContainer;
      }) as unknown as { updates: Tensors; fields: Record<string, PS> };
      return { updates, state: advance(state, p, fields as Record<string, object>), used: p.hyper };
    },
  };
}
