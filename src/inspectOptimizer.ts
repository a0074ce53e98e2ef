import * as tf from '@tensorflow/tfjs';
import { RxgradError } from './RxgradError';
import { quantiles } from './quantiles';
import type { Hyper, Tensors } from './types';

/** Options of `inspectOptimizer`. */
export interface InspectOptions {
  /** Probabilities of the quantiles reported (default 5, 25, 50, 75, 95 %). */
  readonly quantiles?: readonly number[];
}

/**
 * The quantiles reported by default: 5, 25, 50, 75 and 95 %.
 *
 * @example
 * INSPECT_QUANTILES; // [0.05, 0.25, 0.5, 0.75, 0.95]
 */
export const INSPECT_QUANTILES: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];

/**
 * The key suffix of quantile p: 100·p with `_` for the decimal point (keys split on dots).
 *
 * @example
 * quantileLabel(0.05); // 'p5'
 * quantileLabel(0.025); // 'p2_5'
 */
export function quantileLabel(p: number): string {
  return `p${String(Number((p * 100).toPrecision(6))).replace('.', '_')}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof tf.Tensor);
}

const live = (t: unknown): t is tf.Tensor => t instanceof tf.Tensor && !t.isDisposed;

/** One parameter's effective step sizes and |m̂|, from the moments its state holds, or undefined. */
function perCoordinate(s: Record<string, unknown>, h: Hyper): { step: Float64Array; m?: Float64Array } | undefined {
  const lr = h.lr ?? 1;
  const t = typeof s.count === 'number' ? s.count : 0;
  if (t < 1) return undefined;
  const eps = h.eps ?? 0;
  if (live(s.m) && live(s.v)) {
    // Adam family: η / (√(v/(1 − β2^t)) + ε) and |m|/(1 − β1^t).
    const v = ((live(s.vMax) ? s.vMax : s.v) as tf.Tensor).dataSync();
    const m = s.m.dataSync();
    const bc1 = 1 - (h.beta1 ?? 0.9) ** t;
    const bc2 = 1 - (h.beta2 ?? 0.999) ** t;
    return { step: Float64Array.from(v, (x) => lr / (Math.sqrt(x / bc2) + eps)), m: Float64Array.from(m, (x) => Math.abs(x) / bc1) };
  }
  if (live(s.m) && live(s.norm)) {
    // Adamax: η / n and |m|/(1 − β1^t) (the update is their product).
    const bc1 = 1 - (h.beta1 ?? 0.9) ** t;
    return { step: Float64Array.from(s.norm.dataSync(), (n) => lr / n), m: Float64Array.from(s.m.dataSync(), (x) => Math.abs(x) / bc1) };
  }
  if (live(s.square) && !('delta' in s)) {
    // RMSProp: η / (√(s − m̄²) + ε), m̄ = 0 unless centred.
    const sq = s.square.dataSync();
    const mean = live(s.mean) ? s.mean.dataSync() : undefined;
    return { step: Float64Array.from(sq, (x, i) => lr / (Math.sqrt(x - (mean ? mean[i] * mean[i] : 0)) + eps)) };
  }
  if (live(s.sum)) {
    // AdaGrad: η / (1 + (t − 1)·δ) / (√s + ε).
    const decay = 1 + (t - 1) * (h.lrDecay ?? 0);
    return { step: Float64Array.from(s.sum.dataSync(), (x) => lr / decay / (Math.sqrt(x) + eps)) };
  }
  return undefined;
}

/** The per-parameter states of the paramwise transforms in a state tree, first found first. */
function paramStates(state: unknown, out: Map<string, Record<string, unknown>>): void {
  if (Array.isArray(state)) {
    for (const s of state) paramStates(s, out);
    return;
  }
  if (!isRecord(state)) return;
  if (typeof state.count === 'number' && isRecord(state.params)) {
    for (const [name, s] of Object.entries(state.params)) if (isRecord(s) && !out.has(name) && perCoordinateKind(s)) out.set(name, s);
    return;
  }
  for (const v of Object.values(state)) paramStates(v, out);
}

function perCoordinateKind(s: Record<string, unknown>): boolean {
  return (live(s.m) && (live(s.v) || live(s.norm))) || (live(s.square) && !('delta' in s)) || live(s.sum);
}

/**
 * What an optimizer is doing, per parameter, as plain numbers (keys for `StepResult.info`):
 *
 *   inspect.updateRatio.<name>        = ‖u‖₂ / ‖x‖₂   (the update against the parameter before it)
 *   inspect.stepSize.<name>.p<q>      = quantile q of the effective per-coordinate step
 *   inspect.mAbs.<name>.p<q>          = quantile q of |m̂|, the bias-corrected first moment
 *
 * The effective step is the factor between the (bias-corrected) moment and the update, read from
 * the state after the update (t = the parameter's update count, η = `hyper.lr`, 1 without one;
 * β1, β2, ε, δ from `hyper`, as the update used them):
 *
 * | state fields (transform)                    | optimizers                          | stepSize                     | mAbs          |
 * | m, v [, vMax] (scaleByAdam, …Nadam, …Radam) | adam, adamw, amsgrad; nadam, radam* | η/(√(v̂/(1 − β2^t)) + ε)     | |m|/(1 − β1^t)|
 * | m, norm (scaleByAdamax)                     | adamax                              | η/n                          | |m|/(1 − β1^t)|
 * | square [, mean] (scaleByRms)                | rmsprop                             | η/(√(s − m̄²) + ε)           | –             |
 * | sum (scaleByRss)                            | adagrad                             | η/(1 + (t − 1)·δ)/(√s + ε)  | –             |
 *
 * v̂ is vMax with AMSGrad. *NAdam's and RAdam's steps also carry their momentum schedule and
 * rectification, not included. ε inside the root (`epsInSqrt`) is not visible in the state: the
 * PyTorch form is reported. SGD, momentum and AdaDelta have no per-coordinate step: only
 * `updateRatio`.
 *
 * 1. Only parameters in `updates` are reported; their `updateRatio` is always there (Infinity when
 *    ‖x‖ = 0 < ‖u‖, NaN for 0/0).
 * 2. The state tree is searched for paramwise states (`{ count, params }`) at any depth (chains,
 *    `swappable`); the first one holding moments for a parameter is used.
 * 3. Reads values synchronously (`dataSync`) and creates no tensor; cost O(n log n) per
 *    parameter of n values (the sorts). Nothing is changed.
 *
 * @example
 * const r = opt.update(grads, state, params);
 * inspectOptimizer(r.state, params, r.updates, r.used ?? {});
 * // { 'inspect.updateRatio.w': 0.01, 'inspect.stepSize.w.p5': 0.0098, …, 'inspect.mAbs.w.p95': 0.3 }
 */
export function inspectOptimizer(state: unknown, params: Tensors, updates: Tensors, hyper: Hyper, options: InspectOptions = {}): Record<string, number> {
  const ps = options.quantiles ?? INSPECT_QUANTILES;
  if (!Array.isArray(ps) || ps.length === 0) throw new RxgradError('inspect.quantiles', 'a non-empty array of probabilities in [0, 1]', ps);
  quantiles([0], ps); // checks every p before any work
  const found = new Map<string, Record<string, unknown>>();
  paramStates(state, found);
  const out: Record<string, number> = {};
  const put = (key: string, values: ArrayLike<number>) => quantiles(values, ps).forEach((q, i) => (out[`${key}.${quantileLabel(ps[i])}`] = q));
  for (const name of Object.keys(updates)) {
    const x = params[name];
    if (!(x instanceof tf.Tensor)) throw new RxgradError(`params.${name}`, 'the parameter the update belongs to', x);
    out[`inspect.updateRatio.${name}`] = norm(updates[name].dataSync()) / norm(x.dataSync());
    const s = found.get(name);
    const per = s && perCoordinate(s, hyper);
    if (!per || per.step.length === 0) continue;
    put(`inspect.stepSize.${name}`, per.step);
    if (per.m) put(`inspect.mAbs.${name}`, per.m);
  }
  return out;
}

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}
