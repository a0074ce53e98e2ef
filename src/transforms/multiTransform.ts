import * as tf from '@tensorflow/tfjs';
import type { Hyper, Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError } from '../RxgradError';
import { groupTree, paramLabeller, type ParamLabels } from './paramLabels';

/** State of `multiTransform`: each group's transform state, by label. */
export type MultiTransformState = Readonly<Record<string, unknown>>;

function prefixed(label: string, record: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (record) for (const key of Object.keys(record)) out[`${label}.${key}`] = record[key];
  return out;
}

/**
 * Parameter groups (Optax's `multi_transform`, PyTorch's `param_groups`): each parameter is
 * labelled, and each label's transform updates that group alone.
 *
 *   u[name] = T_{label(name)}(g restricted to the group of name)[name]
 *
 * 1. `labels` is a function `(name, param) => label` or RegExps by label (the first matching
 *    pattern wins: `{ noDecay: /(^|\.)b$/, decay: /^/ }`). A parameter without a group, or a
 *    label without a transform, throws an `RxgradError` naming the parameter.
 * 2. The state is `{ [label]: that group's state }`, each built by its transform's `init` on its
 *    group's parameters — so `serializeState`, `restoreState` and `checkStateLayout` save,
 *    restore and check it group by group (paths read `state.decay[1].params.w.m`).
 * 3. A group none of whose parameters has a gradient this update keeps its state unchanged.
 * 4. **Hyperparameters per group.** The hyperparameter `name` of group `label` is
 *    `ctx.hyper['label.name']` if the step carries one, else `ctx.hyper[name]` (one value for every
 *    group, e.g. `learningRate(s)`), else the group transform's own option. `hyper` lists both
 *    forms. What each group used is reported as `used['label.name']`, and its `info` as
 *    `info['label.key']`, so a StepResult shows `hyper['decay.lr']`, `hyper['noDecay.lr']`.
 * 5. All groups update in one `tf.tidy`; the input state is never mutated.
 *
 * @example
 * // AdamW's decay on weights, none on biases; the head at 10× the lr
 * const opt = multiTransform(
 *   { body: adamw({ lr: 1e-3 }), head: adamw({ lr: 1e-2 }), biases: adam({ lr: 1e-3 }) },
 *   (name) => (name.endsWith('.b') ? 'biases' : name.startsWith('head.') ? 'head' : 'body'),
 * );
 */
export function multiTransform(transforms: Readonly<Record<string, Transform<any>>>, labels: ParamLabels): Transform<MultiTransformState> {
  if (transforms === null || typeof transforms !== 'object' || Object.keys(transforms).length === 0) {
    throw new RxgradError('transforms', 'a non-empty record of transforms by group label', transforms);
  }
  const groups = Object.keys(transforms);
  for (const label of groups) {
    const t = transforms[label];
    if (!t || typeof t.init !== 'function' || typeof t.update !== 'function' || !Array.isArray(t.hyper)) {
      throw new RxgradError(`transforms.${label}`, 'a Transform { init, update, hyper }', t);
    }
    if (label.includes('.') || label === '__proto__') throw new RxgradError(`transforms.${label}`, 'a group label without "." (hyperparameters are named label.name)', label);
  }
  const labelOf = paramLabeller(labels, groups, 'labels');
  const hyper = [...new Set(groups.flatMap((label) => [...transforms[label].hyper, ...transforms[label].hyper.map((h) => `${label}.${h}`)]))];
  const ctxFor = (label: string, ctx: UpdateContext | undefined): UpdateContext | undefined => {
    if (!ctx?.hyper) return ctx;
    const h: Record<string, number> = {};
    for (const name of transforms[label].hyper) {
      const v = ctx.hyper[`${label}.${name}`] ?? ctx.hyper[name];
      if (v !== undefined) h[name] = v;
    }
    return { ...ctx, hyper: h as Hyper };
  };
  return {
    hyper,
    init: (params: Tensors) => {
      if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
      const split = groupTree(params, groups, labelOf);
      const state: Record<string, unknown> = {};
      for (const label of groups) state[label] = transforms[label].init(split[label]);
      return state;
    },
    update: (grads: Tensors, state: MultiTransformState, params?: Tensors, ctx?: UpdateContext) =>
      tf.tidy(() => {
        const split = groupTree(grads, groups, labelOf, (name) => params?.[name] ?? grads[name]);
        const groupParams = params && groupTree(params, groups, labelOf);
        const next: Record<string, unknown> = { ...state };
        const updates: Tensors = {};
        const info: Record<string, number> = {};
        const used: Record<string, number> = {};
        for (const label of groups) {
          const g = split[label];
          if (Object.keys(g).length === 0) continue;
          const r = transforms[label].update(g, state[label], groupParams?.[label], ctxFor(label, ctx));
          Object.assign(updates, r.updates);
          Object.assign(info, prefixed(label, r.info));
          Object.assign(used, prefixed(label, r.used));
          next[label] = r.state;
        }
        return { updates, state: next, info, used } as unknown as tf.TensorContainer;
      }) as unknown as UpdateResult<MultiTransformState>,
  };
}
