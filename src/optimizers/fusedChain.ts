import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { chain } from '../chain';
import type { PlannedTransform, UpdatePlan } from '../transforms/PlannedTransform';
import { useFused, type FusedMode } from '../kernels/useFused';
import { fromValues, ownValues, values } from '../kernels/values';
import type { InPlaceOutput } from '../kernels/InPlaceOutput';
import { giveScratch, takeScratch } from '../kernels/scratch';
import { stageSum } from '../kernels/stagedSum';
import { simdArena } from '../kernels/wasm/simdKernels';
import { StorageSlot } from '../kernels/StorageSlot';
import { heapTakes, inPlaceHeap, runInPlaceWasm } from '../kernels/wasm/runInPlaceWasm';
import { steadyLane, type SteadyKernel, type SteadyLane } from './SteadyLane';

/** The plans of a tuple of planned transforms, position by position. */
export type PlansOf<T extends readonly PlannedTransform<any, any>[]> = {
  readonly [K in keyof T]: T[K] extends PlannedTransform<any, infer P> ? P : never;
};

/**
 * One parameter's fused step: its update, and each part's new per-parameter fields in chain
 * order (`undefined` for a part without per-parameter state). A `Float32Array` field becomes a
 * new tensor of the parameter's shape; any other value (a carried-over tensor, `null`) is kept.
 */
export interface FusedStep {
  readonly update: Float32Array;
  readonly fields: readonly (Readonly<Record<string, unknown>> | undefined)[];
}

/**
 * What a fused optimizer gives for one parameter: `plans` (the parts' plans, in chain order),
 * the parameter's name, its gradient's values, and the parameter tensor if given (read it with
 * `values` only when needed: elsewhere than on `cpu` reading copies).
 */
export type FusedKernelCall<T extends readonly PlannedTransform<any, any>[]> = (
  plans: PlansOf<T>,
  name: string,
  g: Float32Array,
  p: tf.Tensor | undefined,
) => FusedStep;

/**
 * What a fused optimizer gives for one parameter whose state it may overwrite: like
 * `FusedKernelCall`, with `x` (the parameter's values), `writable` (a state tensor's values to
 * update in place: its own storage when that is safe and where the kernel runs, else a copy —
 * return the tensor as the field when `writable(t) === values(t)`, the copy otherwise) and `out`
 * (see `InPlaceOutput`). Returns the kernel's finiteness check and each part's fields.
 *
 * With `own` (`updateArrays` passes it): `own(t)` is the state tensor's own storage, answered in
 * O(1) (`StorageSlot`), or `undefined`; compare with it instead of `values(t)`, and return
 * `IN_PLACE` as the fields when every part's fields would hold exactly the state's own values
 * (every moment written into its tensor's own storage, no new array).
 *
 * It reads the plans' `hyper` and `params`, never their `count` (a parameter's own count is in
 * its state record): a steady update (`ArrayTransform`, 3) gives the previous update's plans again.
 */
export type FusedInPlaceCall<T extends readonly PlannedTransform<any, any>[]> = (
  plans: PlansOf<T>,
  name: string,
  g: Float32Array,
  x: Float32Array,
  writable: (t: tf.Tensor) => Float32Array,
  out: InPlaceOutput,
  own?: (t: tf.Tensor) => Float32Array | undefined,
) => { readonly check: number; readonly fields: FusedStep['fields'] };

/**
 * The fields a `FusedInPlaceCall` given `own` returns when every part's fields would hold exactly
 * the parameter's state before the update (its tensors, written in place): each part with
 * per-parameter state keeps that state's values, the others have none.
 *
 * @example
 * return own !== undefined && own(s.trace) === trace ? { check, fields: IN_PLACE } : { check, fields: [{}, { trace: … }, undefined] };
 */
export const IN_PLACE: FusedStep['fields'] = Object.freeze([]);

/** The state tensors of one parameter in the plans (what `writable` may be asked for). */
function stateTensors(plans: readonly UpdatePlan[], name: string): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const p of plans) for (const v of Object.values(p.params?.[name] ?? {})) if (v instanceof tf.Tensor) out.push(v);
  return out;
}

/** A tensor's own storage, in O(1) from the second call on (`StorageSlot.of`), or `undefined`. */
function ownStorage(t: tf.Tensor): Float32Array | undefined {
  return StorageSlot.of(t).own(t);
}

/** `own` off the SIMD path: `ownStorage`, else a region of a SIMD arena the tensor owns (`ownValues`). */
function ownOnHeap(t: tf.Tensor): Float32Array | undefined {
  return ownStorage(t) ?? ownValues(t);
}

/** `writable` off the SIMD path: a state tensor's own storage where that is safe, else a copy. */
function writableOnHeap(t: tf.Tensor): Float32Array {
  return ownOnHeap(t) ?? values(t).slice();
}

/** Part `i`'s fields for parameter `name` from an in-place kernel's `fields`: the state's own record where it wrote everything in place (`IN_PLACE`). */
function partFields(fields: FusedStep['fields'], plans: readonly UpdatePlan[], i: number, name: string): Readonly<Record<string, unknown>> | undefined {
  return (fields === IN_PLACE ? plans[i].params?.[name] : fields[i]) as Readonly<Record<string, unknown>> | undefined;
}

/**
 * Run an in-place kernel call on one parameter `p` (a float32 tensor on `cpu`), in a SIMD arena
 * when `simdArena` takes its size (every buffer the kernel touches then lives in the arena: the
 * gradient and, the first time, the parameter and moments are copied in), else on spare arrays
 * (`takeScratch`). Returns the update tensor; x + u is staged for `addUpdates`. Off the SIMD path
 * it creates no closure and scans no state: a small update costs little more than its kernel.
 */
function runInPlace<T extends readonly PlannedTransform<any, any>[]>(
  inPlace: FusedInPlaceCall<T>,
  simd: (plans: PlansOf<T>, name: string) => boolean,
  plans: PlansOf<T>,
  name: string,
  g: tf.Tensor,
  p: tf.Tensor,
): { readonly update: tf.Tensor; readonly fields: FusedStep['fields'] } {
  const n = g.size;
  const x = ownStorage(p) ?? values(p);
  const probe = simd(plans, name) ? simdArena(p, n, 3) : undefined;
  let done: ReturnType<FusedInPlaceCall<T>>;
  let out: InPlaceOutput;
  if (probe === undefined) {
    out = { update: takeScratch(p, n), next: takeScratch(p, n) };
    done = inPlace(plans, name, values(g), x, writableOnHeap, out, ownOnHeap);
  } else {
    const state = stateTensors(plans as readonly UpdatePlan[], name);
    const outside = (a: Float32Array | undefined, buffer: ArrayBufferLike) => (a === undefined || a.buffer !== buffer ? 1 : 0);
    const arena = simdArena(p, n, 3 + outside(x, probe) + state.reduce((k, t) => k + outside(ownValues(t), probe), 0));
    const loaned: Float32Array[] = [];
    const place = (src: Float32Array): Float32Array => {
      const a = arena ? takeScratch(p, n, arena) : undefined;
      if (a === undefined) return src.slice();
      a.set(src);
      return a;
    };
    const inArena = (src: Float32Array): Float32Array => {
      if (arena === undefined || src.buffer === arena) return src;
      const a = place(src);
      loaned.push(a);
      return a;
    };
    const writable = (t: tf.Tensor): Float32Array => {
      const own = ownValues(t);
      return own !== undefined && (arena === undefined || own.buffer === arena) ? own : place(values(t));
    };
    const take = () => (arena ? takeScratch(p, n, arena) : undefined) ?? takeScratch(p, n);
    out = { update: take(), next: take() };
    done = inPlace(plans, name, inArena(values(g)), inArena(x), writable, out);
    for (const a of loaned) giveScratch(p, a);
  }
  const update = fromValues(out.update, g.shape);
  giveScratch(p, out.update, update);
  stageSum(update, p, out.next, done.check === 0);
  return { update, fields: done.fields };
}

/**
 * A transform that can also update state its caller owns in place (`fusedChain` with an
 * in-place kernel). `updateInPlace` takes the arguments and gives the result of `update`, but
 * may overwrite the tensors of `state` (the result's state then holds the same tensors), and
 * stages each x + u for `addUpdates`. Only for state that is never handed out: `optimize` uses it
 * for the state it owns.
 */
export interface InPlaceTransform<S> extends Transform<S> {
  updateInPlace(grads: Tensors, state: S, params?: Tensors, ctx?: UpdateContext): UpdateResult<S>;
}

/**
 * What `updateArrays` gives: the new state (holding the same tensors as the input state wherever
 * they were written in place — in steady state the input state itself, its counts advanced),
 * whether it holds a new tensor (a moment that could not be written in place: the caller then
 * frees the replaced ones, `disposeReplaced`), the hyperparameter values used (the previous
 * update's record while they are the same: never mutate it), and the first parameter whose x + u
 * is not finite (`undefined` when all are); and, when the next update of that state can be steady
 * and the optimizer has a kernel for it without its parts (`fusedChain`'s `steadyKernel`), that update
 * ready to run (`SteadyLane`).
 */
export interface ArrayUpdateResult<S> {
  readonly state: S;
  readonly replaced: boolean;
  readonly used: Readonly<Record<string, number>>;
  readonly bad: string | undefined;
  readonly lane?: SteadyLane<S>;
}

/**
 * A transform that can also run one update of state its caller owns entirely on arrays
 * (`fusedChain` with an in-place kernel): `updateArrays(grads, state, params, ctx, out)` plans the
 * update as `update` does (the same errors and hyperparameters), then for each gradient runs the
 * in-place kernel on the gradient's and parameter's values, writing the moments into the state's
 * own storage (`StorageSlot`, else into a copy that becomes a new state tensor), u and x + u into
 * `out[name]` and Σu², Σg² into its `updateSq`, `gradSq` (see `InPlaceOutput`; `update` may be
 * `next`). No update tensor is made and nothing is assigned; no SIMD arena. Call it where
 * `runsArrays` says the kernel runs (once per run is enough: on another backend the results stay
 * right, reading and writing copies). `arrays` spares reading the gradients' and parameters'
 * values again when the caller has them. An update of the state the previous one returned, with
 * the same `grads` and `params` records (a training loop's steps):
 * 1. replans (`PlannedTransform.replan`): hyperparameters resolved and checked, names and shapes
 *    not checked again;
 * 2. when every kernel wrote every moment into its tensor's own storage (`IN_PLACE`), advances
 *    the counts in the state's own records (`PlannedTransform.advanceInPlace`) and returns the
 *    same state: the records this transform made at the update before, never a state it was
 *    given first (a caller's `init`, copy or checkpoint stays as it was). Otherwise each part's
 *    `advance` builds new records, as `update` does.
 * 3. Steady updates: after an update that advanced the state in its own records, when every part
 *    gives its `counters` (its hyperparameters depend on `ctx.hyper` alone) and `ctx.hyper` is
 *    the same record, the next update calls no part: it reuses the plans (the same
 *    hyperparameters, `used` and checks), runs the kernels and raises those counts — what 1 and 2
 *    would do. A kernel that does not write in place there (a moment now shared) makes the parts
 *    replan, with the same values, and 2's `advance` follows.
 * 4. Steady lanes: when the optimizer gives a kernel for each parameter while the plans hold
 *    (`fusedChain`'s `steadyKernel`), the result of an update after which 3 applies carries that
 *    steady update as a `SteadyLane`: the caller may run it instead of calling `updateArrays`
 *    while the state and the `ctx.hyper` record are the lane's (and the grads and params records
 *    the same) and it is `ready` (every moment still its tensor's own storage) — the same kernels
 *    and counts, without the call.
 */
export interface ArrayTransform<S> extends InPlaceTransform<S> {
  /** Whether the array kernel runs here for gradients of `size` values in all (`cpu`, `useFused`). */
  runsArrays(size: number): boolean;
  updateArrays(grads: Tensors, state: S, params: Tensors, ctx: UpdateContext, out: Readonly<Record<string, InPlaceOutput>>, arrays?: ArrayInputs): ArrayUpdateResult<S>;
}

/**
 * The values of the gradients and parameters, when the caller holds them already (each
 * `values(t)` of its tensor), by position: `g[j]` and `x[j]` are those of the j-th name of
 * `Object.keys(grads)`. `updateArrays` then reads these instead (by index: a lookup by name per
 * parameter and step costs more than the lookup).
 */
export interface ArrayInputs {
  readonly g: readonly Float32Array[];
  readonly x: readonly Float32Array[];
}

/**
 * Whether a transform has `updateArrays` (see `ArrayTransform`).
 *
 * @example
 * hasArrayUpdate(sgd()); // true
 * hasArrayUpdate(chain(clipByGlobalNorm(1), sgd())); // false
 */
export function hasArrayUpdate<S>(t: Transform<S>): t is ArrayTransform<S> {
  return typeof (t as Partial<ArrayTransform<S>>).updateArrays === 'function';
}

/**
 * Whether a transform has `updateInPlace` (see `InPlaceTransform`).
 *
 * @example
 * hasInPlace(adam()); // true
 * hasInPlace(chain(clipByGlobalNorm(1), adam())); // false
 */
export function hasInPlace<S>(t: Transform<S>): t is InPlaceTransform<S> {
  return typeof (t as Partial<InPlaceTransform<S>>).updateInPlace === 'function';
}

/** Values in all the gradients (NaN if one is not a tensor: the chain then reports it). */
function sizeOf(grads: Tensors): number {
  let n = 0;
  for (const name of Object.keys(grads)) n += (grads[name] as tf.Tensor | null | undefined)?.size ?? NaN;
  return n;
}

function tensorsOf(fields: Readonly<Record<string, unknown>>, shape: number[]): object {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const v = fields[key];
    out[key] = v instanceof Float32Array ? fromValues(v, shape) : v;
  }
  return out;
}

/**
 * `chain(...parts)` with a fused kernel: the same transform (same state layout, hyperparameters,
 * `used`, errors), whose arithmetic runs in one pass over each parameter when the backend
 * allows (see `useFused`; `mode` is the optimizer's `fused` option).
 *
 * On the fused path, an update:
 * 1. runs every part's `plan` in chain order — the chain's validation and hyperparameter
 *    resolution, so errors and schedules are exactly the chain's;
 * 2. calls `kernel(plans, name, g, p)` for each gradient and wraps the new arrays in tensors
 *    (no other tensor is created, nothing is left to a `tf.tidy`);
 * 3. builds the new state with each part's `advance` and reports the merged `used`, later parts
 *    winning, as `chain` does. The input state is never mutated.
 *
 * Otherwise (`mode` false, or `'auto'` where `FUSED_BACKENDS` does not take the kernels for this
 * backend and this many values) the update is the chain's.
 *
 * With `inPlace` (an in-place kernel) and `simd`, the transform also has `updateInPlace` (see
 * `InPlaceTransform`): on the fused path on `cpu`, for each parameter that is a float32 tensor,
 * 1. the kernel writes the new moments into the state's own tensors where no other tensor
 *    shares them (`ownValues`; a state copied with `cloneState` shares them until its first
 *    update, which then writes new arrays), and the update and x + u into spare arrays
 *    recycled across updates (`takeScratch`): no fresh array in steady state; a large
 *    parameter for which `simd(plans, name)` says the in-place kernel has a SIMD path runs in a
 *    WebAssembly SIMD arena (`simdArena`, `SIMD_KERNELS.minSize`), where its storage and its
 *    moments' then live;
 * 2. x + u and its finiteness are staged (`stageSum`) for `addUpdates`, which assigns them (the
 *    array swapped in as the parameter's storage where it owns it), or refuses them naming the
 *    parameter, without a second pass; nothing is assigned here.
 * The results are bit-identical to `update`'s with the JavaScript kernels, within float32
 * rounding (~1e-7 relative) with the SIMD ones. On `wasm` (`fused` not false, every gradient and
 * parameter a float32 tensor in the backend's heap) the same kernels run in place on that heap,
 * x + u staged the same way (`runInPlaceWasm`), where `heapTakes` says it beats tfjs's kernels
 * (always with `fused: true`); else the chain. Anywhere else `updateInPlace` is `update`.
 * It also has `updateArrays` (see `ArrayTransform`): the same in-place kernel on arrays the
 * caller owns, with no update tensor — what `applyUpdates`' fused path runs. With `steadyKernel`
 * (a parameter's kernel while the plans hold, given `own` — a state tensor's own storage or
 * `undefined` — or `undefined`), its steady updates are also given as `SteadyLane`s
 * (`ArrayTransform`, 4) when every parameter has one.
 *
 * @example
 * const parts = [scaleByAdam(), scaleByLearningRate(0.01)] as const;
 * const opt = fusedChain(parts, 'auto', ([adam, lr], name, g) => {
 *   const s = adam.params[name];
 *   const r = adamKernel(g, undefined, { m: values(s.m), v: values(s.v), vMax: s.vMax && values(s.vMax) },
 *     { ...adam.hyper, lr: lr.hyper.lr, weightDecay: 0, decoupled: false, t: s.count + 1 } as AdamKernelHyper);
 *   return { update: r.update, fields: [{ m: r.m, v: r.v, vMax: r.vMax }, undefined] };
 * });
 */
export function fusedChain<const T extends readonly PlannedTransform<any, any>[]>(
  parts: T,
  mode: FusedMode,
  kernel: FusedKernelCall<T>,
  inPlace?: FusedInPlaceCall<T>,
  simd: (plans: PlansOf<T>, name: string) => boolean = () => false,
  steadyKernel?: (plans: PlansOf<T>, name: string, own: (t: tf.Tensor) => Float32Array | undefined) => SteadyKernel | undefined,
): Transform<unknown[]> {
  const chained = chain(...parts);
  const fusedUpdate = (owned: boolean, grads: Tensors, state: unknown[], params?: Tensors, ctx?: UpdateContext): UpdateResult<unknown[]> => {
    // On wasm, owned state is updated in place on the backend's heap where that wins (`heapTakes`).
    const heap = owned && inPlace !== undefined && mode !== false ? inPlaceHeap(grads, params) : undefined;
    if (heap === undefined && !useFused(mode, sizeOf(grads))) return chained.update(grads, state, params, ctx);
    const plans = parts.map((t, i) => t.plan(grads, state[i], params, ctx)) as unknown as PlansOf<T>;
    // (a parameter above FUSED_BACKENDS.wasm without a SIMD kernel: the update is above it too)
    if (heap !== undefined && mode !== true && !heapTakes(simd, plans, grads)) return chained.update(grads, state, params, ctx);
    const updates: Tensors = {};
    const fields = parts.map((): Record<string, object> => ({}));
    const writable = owned && inPlace !== undefined && tf.getBackend() === 'cpu';
    for (const name of Object.keys(grads)) {
      const g = grads[name];
      const p = params?.[name];
      let r: { readonly update: tf.Tensor; readonly fields: FusedStep['fields'] };
      if (heap !== undefined) r = runInPlaceWasm(heap, inPlace!, simd, plans, name, g, p!);
      else if (writable && p instanceof tf.Tensor && p.dtype === 'float32') r = runInPlace(inPlace, simd, plans, name, g, p);
      else {
        const k = kernel(plans, name, values(g), p);
        r = { update: fromValues(k.update, g.shape), fields: k.fields };
      }
      updates[name] = r.update;
      for (let i = 0; i < parts.length; i++) {
        const f = partFields(r.fields, plans as readonly UpdatePlan[], i, name);
        if (f) fields[i][name] = tensorsOf(f, g.shape);
      }
    }
    const used: Record<string, number> = {};
    for (const p of plans as readonly UpdatePlan[]) Object.assign(used, p.hyper);
    return { updates, state: parts.map((t, i) => t.advance(state[i], plans[i], fields[i])), used };
  };
  const transform: Transform<unknown[]> = {
    hyper: chained.hyper,
    init: chained.init,
    update: (grads, state, params, ctx) => fusedUpdate(false, grads, state, params, ctx),
  };
  if (inPlace === undefined) return transform;
  // Not enumerable: a wrapper built by spreading this transform ({ ...adam(), update: … }) must not
  // inherit an updateInPlace that would bypass its own update.
  const updateInPlace: InPlaceTransform<unknown[]>['updateInPlace'] = (grads, state, params, ctx) => fusedUpdate(true, grads, state, params, ctx);
  const arrayKernel = inPlace;
  const runsArrays = (size: number): boolean => tf.getBackend() === 'cpu' && useFused(mode, size);
  // The last update's gradients, parameters, names, plans, `used`, new part states and whether
  // their records are all this transform's own (every part advanced for every name, or for none):
  // an update of the state it made, for the same records, replans (`PlannedTransform`, 4)
  // instead of checking them again and, when every kernel wrote in place (`IN_PLACE`), advances
  // the counts in those records (5) instead of building new ones.
  // One record, rewritten by each update (`valid` false until an update completes); plans in two
  // arrays used in turn (the previous update's stay readable while the next ones are made).
  const last: { valid: boolean; grads?: Tensors; params?: Tensors; names: readonly string[]; plans: UpdatePlan[]; used: Readonly<Record<string, number>>; own: boolean } = {
    valid: false,
    names: [],
    plans: [],
    used: {},
    own: false,
  };
  const planArrays: UpdatePlan[][] = [new Array(parts.length), new Array(parts.length)];
  const lastStates: unknown[] = new Array(parts.length);
  const NONE: readonly string[] = [];
  const follows = (grads: Tensors, state: unknown[], params: Tensors): boolean => {
    if (!last.valid || last.grads !== grads || last.params !== params || state.length !== parts.length) return false;
    for (let i = 0; i < parts.length; i++) if (state[i] !== lastStates[i]) return false;
    return true;
  };
  const writableOwn = (t: tf.Tensor): Float32Array => ownStorage(t) ?? values(t).slice();
  // Each part's fields for `names[0 … j)` whose kernels wrote in place (`IN_PLACE`): the state's own records.
  const ownFields = (plans: readonly UpdatePlan[], names: readonly string[], j: number): Record<string, object>[] => {
    const fields: Record<string, object>[] = [];
    for (const plan of plans) {
      const f: Record<string, object> = {};
      if (plan.params !== undefined) for (let k = 0; k < j; k++) f[names[k]] = plan.params[names[k]];
      fields.push(f);
    }
    return fields;
  };
  // Steady updates (`ArrayTransform`, 3): every part's `counters` for the state the last update
  // advanced in place, and the `ctx.hyper` record it was planned with; `undefined` when its next
  // update cannot be steady.
  let counters: { count: number }[] | undefined;
  let steadyHyper: unknown;
  // The steady update `counters` allows, as a lane (`ArrayTransform`, 4), when `steadyKernel` gives every parameter's kernel.
  let lane: SteadyLane<unknown[]> | undefined;
  const laneOf = (state: unknown[], plans: UpdatePlan[], names: readonly string[], used: Readonly<Record<string, number>>, hyper: unknown): SteadyLane<unknown[]> | undefined => {
    if (steadyKernel === undefined || counters === undefined) return undefined;
    const kernels: SteadyKernel[] = [];
    for (const name of names) {
      const k = steadyKernel(plans as unknown as PlansOf<T>, name, ownStorage);
      if (k === undefined) return undefined;
      kernels.push(k);
    }
    return steadyLane(state, hyper, used, names, kernels, counters);
  };
  const countersOf = (state: unknown[], plans: readonly UpdatePlan[], names: readonly string[]): { count: number }[] | undefined => {
    const all: { count: number }[] = [];
    for (let i = 0; i < parts.length; i++) {
      const c = parts[i].counters?.(state[i], plans[i].params === undefined ? NONE : names);
      if (c === undefined) return undefined;
      for (let k = 0; k < c.length; k++) all.push(c[k]);
    }
    return all;
  };
  // The plan array the last update did not use (its plans stay readable while the next ones are made).
  const sparePlans = (): UpdatePlan[] => (last.plans === planArrays[0] ? planArrays[1] : planArrays[0]);
  // The next plans, each part planned again for the same records (`replan`).
  const replanned = (previous: typeof last, grads: Tensors, state: unknown[], params: Tensors, ctx: UpdateContext): UpdatePlan[] => {
    const plans = sparePlans();
    for (let i = 0; i < parts.length; i++) plans[i] = parts[i].replan(previous.plans[i], grads, state[i], params, ctx);
    return plans;
  };
  const updateArrays: ArrayTransform<unknown[]>['updateArrays'] = (grads, state, params, ctx, out, arrays) => {
    const previous = follows(grads, state, params) ? last : undefined;
    let steady = previous !== undefined && counters !== undefined && ctx.hyper === steadyHyper;
    last.valid = false;
    const names = previous !== undefined ? previous.names : Object.keys(grads);
    let plans: UpdatePlan[];
    if (steady) plans = previous!.plans;
    else if (previous !== undefined) plans = replanned(previous, grads, state, params, ctx);
    else {
      plans = sparePlans();
      for (let i = 0; i < parts.length; i++) plans[i] = parts[i].plan(grads, state[i], params, ctx);
    }
    // Built from the first kernel that did not write everything in place (until then `IN_PLACE`).
    let fields: Record<string, object>[] | undefined;
    // Per part, with `fields`: how many names got fields (all or none: the new state's records are all its own).
    let given: number[] | undefined;
    let bad: string | undefined;
    let replaced = false;
    for (let j = 0; j < names.length; j++) {
      const name = names[j];
      const done = arrayKernel(plans as unknown as PlansOf<T>, name, arrays?.g[j] ?? values(grads[name]), arrays?.x[j] ?? values(params[name]), writableOwn, out[name], ownStorage);
      if (done.check !== 0 && bad === undefined) bad = name;
      if (done.fields === IN_PLACE && fields === undefined) continue;
      if (fields === undefined) {
        // The reused plans' counts are the last update's: plan again (the same values) for `advance`.
        if (steady) {
          plans = replanned(previous!, grads, state, params, ctx);
          steady = false;
        }
        fields = ownFields(plans, names, j);
        given = [];
        for (let i = 0; i < parts.length; i++) given.push(plans[i].params === undefined ? 0 : j);
      }
      for (let i = 0; i < parts.length; i++) {
        const f = partFields(done.fields, plans, i, name);
        if (!f) continue;
        given![i]++;
        let fresh = false;
        for (const key in f) if (f[key] instanceof Float32Array) fresh = true;
        // The kernel's fields object is its own: kept as it is when it holds no new array.
        fields[i][name] = fresh ? tensorsOf(f, grads[name].shape) : f;
        replaced ||= fresh;
      }
    }
    // The previous record while every part's values are the same record (always so in a steady update).
    let used = previous?.used;
    if (!steady) for (let i = 0; i < parts.length && used !== undefined; i++) if (plans[i].hyper !== previous!.plans[i].hyper) used = undefined;
    if (used === undefined) {
      const merged: Record<string, number> = {};
      for (let i = 0; i < parts.length; i++) Object.assign(merged, plans[i].hyper);
      used = merged;
    }
    // The same array when every part's state was advanced in its own records.
    let next: unknown[] = state;
    if (steady) {
      for (let k = 0; k < counters!.length; k++) counters![k].count += 1;
    } else for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      let s: unknown;
      if (fields === undefined && previous !== undefined && previous.own && part.advanceInPlace !== undefined) {
        s = part.advanceInPlace(state[i], plans[i], plans[i].params === undefined ? NONE : names);
      } else {
        fields ??= ownFields(plans, names, names.length);
        s = part.advance(state[i], plans[i], fields[i]);
      }
      if (s !== state[i] && next === state) next = state.slice();
      if (next !== state) next[i] = s;
      lastStates[i] = s;
    }
    // The new state's records are this transform's own unless a part got fields for some names only.
    let whole = true;
    if (given !== undefined) for (let i = 0; i < given.length; i++) if (given[i] !== 0 && given[i] !== names.length) whole = false;
    last.valid = true;
    // A steady update leaves the record as the update before it left it.
    if (steady) return { state, replaced, used: used!, bad, lane };
    last.grads = grads;
    last.params = params;
    last.names = names;
    last.plans = plans;
    last.used = used;
    last.own = whole;
    counters = fields === undefined && previous !== undefined && next === state ? countersOf(state, plans, names) : undefined;
    steadyHyper = ctx.hyper;
    lane = laneOf(state, plans, names, used, ctx.hyper);
    return { state: next, replaced, used, bad, lane };
  };
  Object.defineProperty(transform, 'runsArrays', { value: runsArrays, enumerable: false });
  Object.defineProperty(transform, 'updateArrays', { value: updateArrays, enumerable: false });
  return Object.defineProperty(transform, 'updateInPlace', { value: updateInPlace, enumerable: false });
}
