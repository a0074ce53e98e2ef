import type { Hyper, Tensors, Transform, UpdateContext } from '../types';

/**
 * What a transform's next update will use, known before any arithmetic: its new update count,
 * the hyperparameter values in force and, for a per-parameter transform, each parameter's state
 * before the update.
 */
export interface UpdatePlan {
  /** The transform's update count after this update (the step its schedules were evaluated at). */
  readonly count: number;
  /** Hyperparameter values in force: what the update reports as `used`. */
  readonly hyper: Hyper;
  /** Each parameter's state before the update, by name (per-parameter transforms only). */
  readonly params?: Readonly<Record<string, object>>;
}

/**
 * A transform whose update is split in two, so that a fused kernel can do the arithmetic while
 * the transform keeps its errors, hyperparameters and state layout (see `fusedChain`).
 *
 * 1. `plan(grads, state, params, ctx)` validates and resolves exactly as `update` does — the same
 *    errors in the same order — and creates no tensor.
 * 2. `advance(state, plan, fields)` is the state after the update, given each updated parameter's
 *    new per-parameter fields (ignored by a transform without per-parameter state).
 * 3. `update` is `plan`, the arithmetic, then `advance`.
 * 4. `replan(previous, grads, state, params, ctx)` is `plan` for the update that follows the one
 *    `previous` planned, when `state` is what `advance` made from `previous` with fields whose
 *    tensors have the gradients' shapes, and `grads` and `params` are the same records of the same
 *    tensors: only what can change between two such updates is done again — the count, the
 *    hyperparameters (resolved and checked in `plan`'s order) and the checks that read them; the
 *    checks of names and shapes, which these tensors passed already, are not. Same result and the
 *    same errors as `plan` (a fused loop calls it once per step, `fusedChain`).
 * 5. `advanceInPlace(state, plan, names)` (optional) is `advance(state, plan, fields)` for fields
 *    that hold exactly what `state` holds for each of `names` (a kernel that wrote every moment
 *    into the state's own tensors) and nothing for the other parameters, written into `state`'s
 *    own records (the counts) and returning `state`. Only for records nobody else holds: a state
 *    its caller owns that `advance` or `advanceInPlace` made for the same `names` at the update
 *    before (`fusedChain`'s `updateArrays` in steady state), never the input of a pure `update`.
 * 6. `counters(state, names)` (optional, beside `advanceInPlace`): the records whose `count`
 *    `advanceInPlace(state, plan, names)` raises by one (the state's own, then each of `names`'),
 *    when the plan's hyperparameters depend on `ctx.hyper` alone (every option a number, no
 *    schedule); `undefined` otherwise. The next update of the same state with the same
 *    `ctx.hyper` record then plans what the previous one planned, its count one higher, and
 *    advances by raising those counts: a caller may do that without calling the transform
 *    (`fusedChain`'s steady updates). A part built by spreading another with its own `plan` or
 *    `replan` (one that reads `ctx.step`, say) must drop or replace `counters` too.
 *
 * @example
 * const t = scaleByAdam();
 * const plan = t.plan(grads, state, params, { hyper: { beta1: 0.8 } }); // plan.hyper.beta1 = 0.8
 * const next = t.replan(plan, grads, t.advance(state, plan, fields), params, { hyper: { beta1: 0.7 } }); // next.count = plan.count + 1
 * // with `state2` = that advance's result, whose m and v the kernel wrote in place:
 * t.advanceInPlace!(state2, next, ['w']) === state2; // state2.count and state2.params.w.count + 1
 * t.counters!(state2, ['w']); // [state2, state2.params.w]: what that advance raised (every option a number)
 */
export interface PlannedTransform<S, P extends UpdatePlan = UpdatePlan> extends Transform<S> {
  plan(grads: Tensors, state: S, params?: Tensors, ctx?: UpdateContext): P;
  replan(previous: P, grads: Tensors, state: S, params?: Tensors, ctx?: UpdateContext): P;
  advance(state: S, plan: P, fields: Readonly<Record<string, object>>): S;
  advanceInPlace?(state: S, plan: P, names: readonly string[]): S;
  counters?(state: S, names: readonly string[]): { count: number }[] | undefined;
}
