import type * as tf from '@tensorflow/tfjs';
import type { Transform } from '../types';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByAdam, type ScaleByAdamParamState } from '../transforms/scaleByAdam';
import type { ParamwisePlan } from '../transforms/paramwise';
import type { UpdatePlan } from '../transforms/PlannedTransform';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { fusedMode } from '../kernels/useFused';
import { adamKernel, type AdamKernelHyper, type AdamKernelState } from '../kernels/adamKernel';
import { adamKernelSimd } from '../kernels/wasm/adamKernelSimd';
import type { InPlaceOutput } from '../kernels/InPlaceOutput';
import type { AdamOptions } from './adam';
import { fusedChain, IN_PLACE } from './fusedChain';
import type { SteadyKernel } from './SteadyLane';
import { NO_VALUES, values } from '../kernels/values';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Adam with L2 (`decoupled` false) or decoupled (AdamW) weight decay, from completed options:
 *
 *   decoupled false: `chain(addDecayedWeights(λ), scaleByAdam({ beta1, beta2, eps, amsgrad }), scaleByLearningRate(η))`
 *   decoupled true:  `chain(scaleByAdam({ beta1, beta2, eps, amsgrad }), addDecayedWeights(λ), scaleByLearningRate(η))`
 *
 * run by `adamKernel` in one pass per parameter where the backend allows (see `fusedChain`), and
 * by `adamKernelInPlace` (`adamKernelSimd` for large parameters) on the state `optimize` owns. `adam` and `adamw` are this with their own defaults.
 *
 * @example
 * const opt = adamChain({ ...adamDefaults, lr: 0.01 }, false); // = adam({ lr: 0.01 })
 */
export function adamChain(o: Required<AdamOptions>, decoupled: boolean): Transform<unknown[]> {
  const decay = addDecayedWeights(o.weightDecay);
  const adamPart = scaleByAdam({ beta1: o.beta1, beta2: o.beta2, eps: o.eps, amsgrad: o.amsgrad });
  const lrPart = scaleByLearningRate(o.lr);
  const mode = fusedMode(o.fused);
  // The kernel's hyperparameters from the plans, written into `h` (t, the parameter's count + 1, is set by the caller).
  const hyperOf = (a: ParamwisePlan<ScaleByAdamParamState>, d: UpdatePlan, lr: UpdatePlan, h: Mutable<AdamKernelHyper>): Mutable<AdamKernelHyper> => {
    h.lr = lr.hyper.lr;
    h.beta1 = a.hyper.beta1;
    h.beta2 = a.hyper.beta2;
    h.eps = a.hyper.eps;
    h.weightDecay = d.hyper.weightDecay;
    return h;
  };
  const fresh = (): Mutable<AdamKernelHyper> => ({ lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0, decoupled, t: 0 });
  const step = (a: ParamwisePlan<ScaleByAdamParamState>, d: UpdatePlan, lr: UpdatePlan, name: string, g: Float32Array, p: tf.Tensor | undefined) => {
    const s = a.params[name];
    const h = hyperOf(a, d, lr, fresh());
    h.t = s.count + 1;
    const r = adamKernel(g, h.weightDecay === 0 ? undefined : values(p!), { m: values(s.m), v: values(s.v), vMax: s.vMax && values(s.vMax) }, h);
    return { update: r.update, moments: { m: r.m, v: r.v, vMax: r.vMax } };
  };
  const kernelArgs: { s: Mutable<AdamKernelState>; h: Mutable<AdamKernelHyper> } = { s: { m: NO_VALUES, v: NO_VALUES, vMax: null }, h: fresh() };
  const stepInPlace = (
    a: ParamwisePlan<ScaleByAdamParamState>,
    d: UpdatePlan,
    lr: UpdatePlan,
    name: string,
    g: Float32Array,
    x: Float32Array,
    writable: (t: tf.Tensor) => Float32Array,
    out: InPlaceOutput,
    own: ((t: tf.Tensor) => Float32Array | undefined) | undefined,
  ) => {
    const s = a.params[name];
    const m = writable(s.m);
    const v = writable(s.v);
    const vMax = s.vMax && writable(s.vMax);
    // The kernel's arguments in records rewritten per call (the kernel only reads them).
    const k = kernelArgs;
    k.s.m = m;
    k.s.v = v;
    k.s.vMax = vMax;
    hyperOf(a, d, lr, k.h).t = s.count + 1;
    const check = adamKernelSimd(g, x, k.s, k.h, out);
    k.s.m = k.s.v = NO_VALUES; // holds no state array after the call
    k.s.vMax = null;
    const ownOf = own ?? values;
    if (own && own(s.m) === m && own(s.v) === v && (s.vMax === null || own(s.vMax) === vMax)) return { check, moments: undefined };
    const kept = (t: tf.Tensor, arr: Float32Array) => (ownOf(t) === arr ? t : arr);
    return { check, moments: { m: kept(s.m, m), v: kept(s.v, v), vMax: s.vMax && kept(s.vMax, vMax!) } };
  };
  // While the plans hold, the kernel with their values (`SteadyLane`): the moments are written into
  // their tensors' own storage (`ready`), t is the parameter's own count + 1 (raised after each update).
  const steadyKernel = (a: ParamwisePlan<ScaleByAdamParamState>, d: UpdatePlan, lr: UpdatePlan, name: string, own: (t: tf.Tensor) => Float32Array | undefined): SteadyKernel => {
    const s = a.params[name];
    const h = hyperOf(a, d, lr, fresh());
    const moments: Mutable<AdamKernelState> = { m: NO_VALUES, v: NO_VALUES, vMax: null };
    return {
      run: (g, x, out) => {
        moments.m = own(s.m)!;
        moments.v = own(s.v)!;
        moments.vMax = s.vMax && own(s.vMax)!;
        h.t = s.count + 1;
        const check = adamKernelSimd(g, x, moments, h, out);
        moments.m = moments.v = NO_VALUES; // holds no state array after the call
        moments.vMax = null;
        return check;
      },
      ready: () => own(s.m) !== undefined && own(s.v) !== undefined && (s.vMax === null || own(s.vMax) !== undefined),
    };
  };
  return decoupled
    ? fusedChain(
        [adamPart, decay, lrPart] as const,
        mode,
        ([a, d, lr], name, g, p) => {
          const { update, moments } = step(a, d, lr, name, g, p);
          return { update, fields: [moments, {}, undefined] };
        },
        (plans, name, g, x, writable, out, own) => {
          // Plans by index (destructuring an array parameter runs the iterator protocol, per parameter and step).
          const { check, moments } = stepInPlace(plans[0], plans[1], plans[2], name, g, x, writable, out, own);
          return { check, fields: moments === undefined ? IN_PLACE : [moments, {}, undefined] };
        },
        ([a], name) => a.params[name].vMax === null,
        (plans, name, own) => steadyKernel(plans[0], plans[1], plans[2], name, own),
      )
    : fusedChain(
        [decay, adamPart, lrPart] as const,
        mode,
        ([d, a, lr], name, g, p) => {
          const { update, moments } = step(a, d, lr, name, g, p);
          return { update, fields: [{}, moments, undefined] };
        },
        (plans, name, g, x, writable, out, own) => {
          const { check, moments } = stepInPlace(plans[1], plans[0], plans[2], name, g, x, writable, out, own);
          return { check, fields: moments === undefined ? IN_PLACE : [{}, moments, undefined] };
        },
        ([, a], name) => a.params[name].vMax === null,
        (plans, name, own) => steadyKernel(plans[1], plans[0], plans[2], name, own),
      );
}
