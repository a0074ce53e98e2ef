import { RxgradError, shown } from './RxgradError';
import { checkStateLayout } from './state';
import type { Tensors, Transform, UpdateContext, UpdateResult } from './types';
import { extend } from './extend';
import { hasInPlace, type InPlaceTransform } from './optimizers/fusedChain';

/** State of a `swappable` optimizer: which optimizer is in force, since which step, and its state. */
export interface SwappableState {
  /** The name of the optimizer in force. */
  readonly active: string;
  /** The step from which it is in force (0: from the start of the run). */
  readonly since: number;
  /** The state of the optimizer in force (its own layout). */
  readonly inner: unknown;
}

/** Options of `swappable`. */
export interface SwappableOptions {
  /** The optimizer in force at the start (default: the first name). */
  readonly initial?: string;
}

/** A transform made by `swappable`: a `Transform` that can also hand over to another of its optimizers. */
export interface SwappableTransform extends InPlaceTransform<SwappableState> {
  /** The names of its optimizers, in the order given (`info.optimizer` is an index into it). */
  readonly names: readonly string[];
  /**
   * The state after handing over to `to` from step `step` on: the new optimizer starts afresh
   * (`init(params)`); the same state when `to` is already in force. The input state is not
   * modified; free the replaced tensors with `disposeReplaced(state, next)`.
   */
  swap(state: SwappableState, to: string, params: Tensors, step: number): SwappableState;
  /** Check a state against the layout of the optimizer it names (used by `checkStateLayout`). */
  checkState(state: unknown, params: Tensors, path: string): void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

function isTransform(t: unknown): t is Transform<unknown> {
  return t !== null && typeof t === 'object' && typeof (t as Transform).init === 'function' && typeof (t as Transform).update === 'function' && Array.isArray((t as Transform).hyper);
}

/**
 * Several optimizers, one in force at a time, swapped mid-run (Adam → SGD, the idea of SWATS,
 * Keskar & Socher 2017):
 *
 *   (u_t, s_t) = O_a.update(g_t, s_{t-1}, x_{t-1}),   a = the optimizer in force at step t
 *   swap to b at step τ:  s_{τ-1} ← O_b.init(x_{τ-1})  (then the update above with a = b)
 *
 * 1. The hand-over is a fresh start: the new optimizer's state is its `init` (zero moments,
 *    step count 0, so Adam's bias correction starts again at t = 1), and the old state is
 *    freed. Moments do not carry over because they mean different things — Adam's m is a
 *    (1 − β1)-weighted average of gradients and v has no counterpart in SGD, SGD's buffer is an
 *    undamped sum — and a fresh start is exactly reproducible from a checkpoint. SWATS's
 *    learning-rate estimate is not transferred either: the learning rate in force is the
 *    pipeline's (`learningRate`, a live override) or each optimizer's own `lr` option — set the
 *    one SGD needs when swapping.
 * 2. `update` runs the optimizer in force and reports `info.optimizer` (its index in `names`)
 *    and `info.optimizerSince` (the step it took over, 0 for the initial one), besides the inner
 *    optimizer's own `info` and `used`.
 * 3. `hyper` is the union of the optimizers' hyperparameter names (a name only the inactive
 *    optimizer reads is accepted and not used meanwhile).
 * 4. The state `{ active, since, inner }` is JSON-able with `serializeState`; `checkStateLayout`
 *    (and so `restoreState` and `optimize`'s resume) checks `inner` against the layout of the
 *    optimizer `active` names.
 * 5. `updateInPlace` is the optimizer in force's `updateInPlace` where it has one (adam, adamw,
 *    sgd: `optimize` then runs the in-place fused path as for the optimizer alone), else `update`.
 * 6. Optimizer names are letters, digits, `_ . -` (≤ 64; they travel in dashboard messages);
 *    an empty set, a non-transform, an unknown `initial` or `swap` target throw an `RxgradError`.
 *
 * In a pipeline, `optimize(swappable(…), { switchTo })` swaps at the first step after
 * `switchTo` emits a name; `optimize`'s `resetOn: 'drift'` restarts from `init`, that is from the
 * initial optimizer.
 *
 * @example
 * const opt = swappable({ adam: adam({ lr: 0.01 }), sgd: sgd({ lr: 0.01, momentum: 0.9 }) }, { initial: 'adam' });
 * let state = opt.init(params);
 * state = opt.update(grads, state, params, { step: 1 }).state;   // an Adam step
 * const next = opt.swap(state, 'sgd', params, 2);                 // SGD from step 2, fresh momentum
 * disposeReplaced(state, next);
 */
export function swappable(optimizers: Readonly<Record<string, Transform<any>>>, options: SwappableOptions = {}): SwappableTransform {
  if (optimizers === null || typeof optimizers !== 'object' || Array.isArray(optimizers)) {
    throw new RxgradError('optimizers', 'an object of optimizers by name', optimizers);
  }
  const names = Object.keys(optimizers);
  if (names.length === 0) throw new RxgradError('optimizers', 'at least one optimizer', shown('none'));
  for (const name of names) {
    if (!NAME.test(name)) throw new RxgradError(`optimizers.${name}`, 'a name of letters, digits, _ . - (≤ 64, not starting with a digit)', name);
    if (!isTransform(optimizers[name])) throw new RxgradError(`optimizers.${name}`, 'a Transform { init, update, hyper }', optimizers[name]);
  }
  const known = (field: string, name: unknown): string => {
    if (typeof name !== 'string' || !Object.hasOwn(optimizers, name)) throw new RxgradError(field, `one of ${names.join(', ')}`, name);
    return name;
  };
  const initial = known('initial', options.initial ?? names[0]);
  const run = (inPlace: boolean, grads: Tensors, state: SwappableState, params?: Tensors, ctx?: UpdateContext): UpdateResult<SwappableState> => {
    const active = known('state.active', state?.active);
    const o = optimizers[active];
    const r = inPlace && hasInPlace(o) ? o.updateInPlace(grads, state.inner, params, ctx) : o.update(grads, state.inner, params, ctx);
    const info = extend(r.info ?? {}, { optimizer: names.indexOf(active), optimizerSince: state.since });
    return { updates: r.updates, state: { active, since: state.since, inner: r.state }, info, ...(r.used && { used: r.used }) };
  };
  return {
    names,
    hyper: [...new Set(names.flatMap((n) => optimizers[n].hyper))],
    init: (params) => ({ active: initial, since: 0, inner: optimizers[initial].init(params) }),
    update: (grads, state, params, ctx) => run(false, grads, state, params, ctx),
    updateInPlace: (grads, state, params, ctx) => run(true, grads, state, params, ctx),
    swap: (state, to, params, step) => {
      known('optimizer', to);
      if (!Number.isSafeInteger(step) || step < 0) throw new RxgradError('step', 'a non-negative integer', step);
      if (to === state.active) return state;
      if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
      return { active: to, since: step, inner: optimizers[to].init(params) };
    },
    checkState: (state, params, path) => {
      const s = state as Partial<SwappableState> | null;
      const keys = s !== null && typeof s === 'object' ? Object.keys(s).sort().join(',') : '';
      if (keys !== 'active,inner,since') throw new RxgradError(path, 'an object with the keys active, inner, since (a swappable state)', state);
      const active = known(`${path}.active`, s!.active);
      if (!Number.isSafeInteger(s!.since) || s!.since! < 0) throw new RxgradError(`${path}.since`, 'a non-negative integer', s!.since);
      checkStateLayout(s!.inner, optimizers[active], params, `${path}.inner`);
    },
  };
}
