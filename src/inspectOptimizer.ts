import * as tf from '@tensorflow/tfjs';
import { RxgradError } from './RxgradError';
import { quantiles } from './quantiles';
import { positiveInt } from './validate';
import { factoredDims } from './transforms/scaleByFactoredRms';
import type { Hyper, Tensors } from './types';

/** Options of `inspectOptimizer`. */
export interface InspectOptions {
  /** Probabilities of the quantiles reported (default 5, 25, 50, 75, 95 %). */
  readonly quantiles?: readonly number[];
  /**
   * Values per tensor the quantiles are taken from, at most (default 16,384): a larger tensor is
   * read every ⌈n/maxValues⌉-th coordinate (a fixed stride, so the same coordinates every time),
   * and its quantiles are those of that sample. `Infinity`: every value.
   */
  readonly maxValues?: number;
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

/** Fill an array with f(i) for i = 0, stride, 2·stride, … < n. */
function sampled(n: number, stride: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(Math.ceil(n / stride));
  for (let i = 0, k = 0; i < n; i += stride, k++) out[k] = f(i);
  return out;
}

/** One parameter's effective step sizes and |m̂| (every `stride`-th coordinate), from the moments its state holds, or undefined. */
function perCoordinate(s: Record<string, unknown>, h: Hyper, x: tf.Tensor, maxValues: number): { step: Float64Array; m?: Float64Array } | undefined {
  const lr = h.lr ?? 1;
  const t = typeof s.count === 'number' ? s.count : 0;
  if (t < 1) return undefined;
  const eps = h.eps ?? 0;
  const n = x.size;
  const stride = Math.max(1, Math.ceil(n / maxValues));
  if ('vRow' in s) {
    // Adafactor: ρ_t / √v̂, v̂ = V, or R·C/mean(R) when factored (as scaleByFactoredRms).
    const v = factoredSecondMoment(s, x.shape);
    return v && { step: sampled(n, stride, (i) => lr / Math.sqrt(v[i])) };
  }
  const m = live(s.m) ? s.m.dataSync() : undefined;
  const bc1 = 1 - (h.beta1 ?? 0.9) ** t;
  // Schedule-free AdamW's inner Adam runs with β1 = 0 (m = g): no momentum to report.
  const mAbs = m && h.weightLrPower === undefined ? sampled(n, stride, (i) => Math.abs(m[i]) / bc1) : undefined;
  if (m && live(s.v)) {
    // Adam family: η / (√(v/(1 − β2^t)) + ε) and |m|/(1 − β1^t); LAMB (a trust coefficient in
    // `hyper`) times its trust ratio r, from d = m̂/(√v̂ + ε) + λ·x as scaleByTrustRatio takes it.
    const v = ((live(s.vMax) ? s.vMax : s.v) as tf.Tensor).dataSync();
    const bc2 = 1 - (h.beta2 ?? 0.999) ** t;
    const adaptive = (i: number) => 1 / (Math.sqrt(v[i] / bc2) + eps);
    let r = 1;
    if (h.trustCoefficient !== undefined) {
      const xs = x.dataSync();
      const d = Float64Array.from(xs, (xi, i) => (m[i] / bc1) * adaptive(i) + (h.weightDecay ?? 0) * xi);
      r = trustRatio(norm(xs), norm(d), h);
    }
    return { step: sampled(n, stride, (i) => r * lr * adaptive(i)), m: mAbs };
  }
  if (m && live(s.norm)) {
    // Adamax: η / n and |m|/(1 − β1^t) (the update is their product).
    const u = s.norm.dataSync();
    return { step: sampled(n, stride, (i) => lr / u[i]), m: mAbs };
  }
  if (live(s.square) && !('delta' in s)) {
    // RMSProp: η / (√(s − m̄²) + ε), m̄ = 0 unless centred.
    const sq = s.square.dataSync();
    const mean = live(s.mean) ? s.mean.dataSync() : undefined;
    return { step: sampled(n, stride, (i) => lr / (Math.sqrt(sq[i] - (mean ? mean[i] * mean[i] : 0)) + eps)) };
  }
  if (live(s.sum)) {
    // AdaGrad: η / (1 + (t − 1)·δ) / (√s + ε).
    const sum = s.sum.dataSync();
    const decay = 1 + (t - 1) * (h.lrDecay ?? 0);
    return { step: sampled(n, stride, (i) => lr / decay / (Math.sqrt(sum[i]) + eps)) };
  }
  return undefined;
}

/** scaleByTrustRatio's r = κ·max(‖x‖, n_min)/(max(‖d‖, n_min) + ε), 1 when either side is 0. */
function trustRatio(xNorm: number, dNorm: number, h: Hyper): number {
  const xn = Math.max(xNorm, h.minNorm ?? 0);
  const dn = Math.max(dNorm, h.minNorm ?? 0);
  return xn === 0 || dn === 0 ? 1 : ((h.trustCoefficient ?? 1) * xn) / (dn + (h.trustEps ?? 0));
}

/** Adafactor's second moment per coordinate: V, or R/mean_{d1}(R)·C broadcast back over the parameter's shape (one tensor, freed here). */
function factoredSecondMoment(s: Record<string, unknown>, shape: readonly number[]): ArrayLike<number> | undefined {
  if (live(s.v)) return s.v.dataSync();
  if (!live(s.vRow) || !live(s.vCol)) return undefined;
  const [vRow, vCol] = [s.vRow, s.vCol];
  const [d1, d0] = factoredDims(shape, true, 1)!; // factored state: the axes do not depend on minDimSizeToFactor
  const full = tf.tidy(() => vRow.div(vRow.mean(d1 > d0 ? d1 - 1 : d1, true)).expandDims(d0).mul(vCol.expandDims(d1)));
  const out = full.dataSync();
  full.dispose();
  return out;
}

/** A paramwise transform's state of one parameter, and the record keys on the way to it from the root. */
interface Found {
  readonly state: Record<string, unknown>;
  readonly path: readonly string[];
}

/** The per-parameter states of the paramwise transforms in a state tree, first found first. */
function paramStates(state: unknown, out: Map<string, Found>, path: readonly string[] = []): void {
  if (Array.isArray(state)) {
    for (const s of state) paramStates(s, out, path);
    return;
  }
  if (!isRecord(state)) return;
  if (typeof state.count === 'number' && isRecord(state.params)) {
    for (const [name, s] of Object.entries(state.params)) if (isRecord(s) && !out.has(name) && perCoordinateKind(s)) out.set(name, { state: s, path });
    return;
  }
  for (const [key, v] of Object.entries(state)) paramStates(v, out, [...path, key]);
}

/**
 * The hyperparameters a state at `path` was updated with: `hyper[name]`, or, inside
 * `multiTransform` groups (which report `label.name`, nested `outer.inner.name`), the entry whose
 * labels all lie on the path, in order — the one with the most labels.
 */
function hyperAt(hyper: Hyper, path: readonly string[]): Hyper {
  const out: Record<string, number> = {};
  const depth: Record<string, number> = {};
  for (const key of Object.keys(hyper)) {
    const labels = key.split('.');
    const name = labels.pop()!;
    let at = 0;
    for (const label of labels) {
      at = path.indexOf(label, at) + 1;
      if (at === 0) break;
    }
    if (labels.length > 0 && at === 0) continue;
    if (!(name in depth) || labels.length > depth[name]) {
      depth[name] = labels.length;
      out[name] = hyper[key];
    }
  }
  return out as Hyper;
}

function perCoordinateKind(s: Record<string, unknown>): boolean {
  return (live(s.m) && (live(s.v) || live(s.norm))) || (live(s.square) && !('delta' in s)) || live(s.sum) || ('vRow' in s && (live(s.v) || live(s.vRow)));
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
 * | m, v + trust ratio (scaleByAdam, …TrustRatio)| lamb                               | r·η/(√(v̂/(1 − β2^t)) + ε)   | |m|/(1 − β1^t)|
 * | v or vRow, vCol (scaleByFactoredRms)        | adafactor                           | ρ_t/√v̂                      | –             |
 * | m, v in `base` (scaleByAdam, β1 = 0)        | scheduleFreeAdamw                   | γ_t/(√(v/(1 − β2^t)) + ε)   | –             |
 * | –                                           | sgd, adadelta, lion, lars, scheduleFreeSgd, muon (2-D) | –         | –             |
 *
 * v̂ is vMax with AMSGrad. *NAdam's and RAdam's steps also carry their momentum schedule and
 * rectification, not included. ε inside the root (`epsInSqrt`) is not visible in the state: the
 * PyTorch form is reported. SGD, momentum and AdaDelta have no per-coordinate step: only
 * `updateRatio`. After Adam:
 * - LAMB (recognised by `hyper.trustCoefficient` on an Adam state): r = κ·max(‖x‖, n_min)/(max(‖d‖,
 *   n_min) + ε_r), 1 when either is 0, d = m̂/(√v̂ + ε) + λ·x, as `scaleByTrustRatio`, from the
 *   state and the parameter before the update. The decay term r·η·λ·x is not in the step.
 * - Adafactor: v̂ = V, or R_i/mean(R)·C_j when factored; ρ_t = `hyper.lr`. The parameter scale
 *   max(ε₂, RMS(x)) and the update clipping are left out (the clipping needs the gradient).
 * - Schedule-free AdamW (recognised by `hyper.weightLrPower`): the step of z. Its inner Adam runs
 *   with β1 = 0 (m = g), its momentum is the interpolation y = (1 − β1)·z + β1·x, in parameter
 *   units, not a moment: no `mAbs` (`hyper.beta1` is the interpolation's, not Adam's).
 * - Lion: u = −η·sign(…), the step is η on every coordinate: not reported (`hyper.lr` is it).
 * - LARS: r·η, one number per tensor, but r = κ‖x‖/‖g + λx‖ needs the gradient, which is neither
 *   an argument nor recoverable from the momentum trace (it holds η·r·d mixed over steps): the
 *   ratio only. Schedule-free SGD: γ_t on every coordinate, like Lion: the ratio only.
 * - Muon's 2-D parameters: the update is orthogonalised (Newton–Schulz), not a per-coordinate
 *   scaling: the ratio only. Its 1-D parameters (the `adam` group) are read as AdamW.

 * 1. Only parameters in `updates` are reported; their `updateRatio` is always there (Infinity when
 *    ‖x‖ = 0 < ‖u‖, NaN for 0/0).
 * 2. The state tree is searched for paramwise states (`{ count, params }`) at any depth (chains,
 *    `swappable`, `accumulate`, `lookahead`, `multiTransform` groups); the first one holding
 *    moments for a parameter is used, with its group's hyperparameters (`hyper['label.lr']`,
 *    as `multiTransform` reports them) before the run-wide ones (`hyper.lr`).
 * 3. Reads values synchronously (`dataSync`) and creates no tensor (but a factored Adafactor
 *    parameter's v̂, freed before returning); cost O(n) per parameter of n values plus two sorts of
 *    at most `maxValues` (see `InspectOptions`). Nothing is changed.
 *
 * @example
 * const r = opt.update(grads, state, params);
 * inspectOptimizer(r.state, params, r.updates, r.used ?? {});
 * // { 'inspect.updateRatio.w': 0.01, 'inspect.stepSize.w.p5': 0.0098, …, 'inspect.mAbs.w.p95': 0.3 }
 */
export function inspectOptimizer(state: unknown, params: Tensors, updates: Tensors, hyper: Hyper, options: InspectOptions = {}): Record<string, number> {
  const ps = options.quantiles ?? INSPECT_QUANTILES;
  const maxValues = options.maxValues ?? 16_384;
  if (maxValues !== Infinity) positiveInt('inspect.maxValues', maxValues);
  if (!Array.isArray(ps) || ps.length === 0) throw new RxgradError('inspect.quantiles', 'a non-empty array of probabilities in [0, 1]', ps);
  quantiles([0], ps); // checks every p before any work
  const found = new Map<string, Found>();
  paramStates(state, found);
  const out: Record<string, number> = {};
  const put = (key: string, values: ArrayLike<number>) => quantiles(values, ps).forEach((q, i) => (out[`${key}.${quantileLabel(ps[i])}`] = q));
  for (const name of Object.keys(updates)) {
    const x = params[name];
    if (!(x instanceof tf.Tensor)) throw new RxgradError(`params.${name}`, 'the parameter the update belongs to', x);
    out[`inspect.updateRatio.${name}`] = norm(updates[name].dataSync()) / norm(x.dataSync());
    const s = found.get(name);
    const per = s && perCoordinate(s.state, hyperAt(hyper, s.path), x, maxValues);
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
