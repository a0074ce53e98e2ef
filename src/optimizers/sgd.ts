import type { HyperValue, Transform } from '../types';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { trace } from '../transforms/trace';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';
import { fusedMode, type FusedMode } from '../kernels/useFused';
import { sgdKernel, sgdKernelInPlace, sgdPlainInPlace, type SgdKernelHyper } from '../kernels/sgdKernel';
import { sgdKernelSimd } from '../kernels/wasm/sgdKernelSimd';
import type { InPlaceOutput } from '../kernels/InPlaceOutput';
import { fusedChain, IN_PLACE, type PlansOf } from './fusedChain';
import { values } from '../kernels/values';

/** Options of `sgd` (PyTorch's `SGD`, camelCase). Hyperparameters accept a number or a schedule. */
export interface SgdOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** μ, the momentum (≥ 0; 0 = plain SGD). */
  readonly momentum?: HyperValue;
  /** τ, the dampening of the gradient in the momentum buffer (in [0, 1]). */
  readonly dampening?: HyperValue;
  /** Nesterov momentum (needs μ > 0 and τ = 0). */
  readonly nesterov?: boolean;
  /** λ, L2 weight decay added to the gradient (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** Run the fused kernel: `'auto'` where the backend allows (cpu), `true` always, `false` never (the chain). */
  readonly fused?: FusedMode;
}

/**
 * Defaults of `sgd` (PyTorch 2.x's `SGD`).
 *
 * @example
 * sgdDefaults.lr; // 1e-3
 */
export const sgdDefaults: Readonly<Required<SgdOptions>> = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, fused: 'auto' };

/**
 * Stochastic gradient descent with momentum, exactly PyTorch's `SGD`:
 *
 *   g'_t = g_t + λ·x_{t-1}
 *   v_1  = g'_1,   v_t = μ·v_{t-1} + (1 − τ)·g'_t      (only when μ ≠ 0)
 *   d_t  = g'_t + μ·v_t (nesterov) | v_t (μ ≠ 0) | g'_t (μ = 0)
 *   x_t  = x_{t-1} − η·d_t
 *
 * The buffer holds gradients; η is applied after it (the book's v ← γv + ηg is the same
 * trajectory for a constant η). Built as
 * `chain(addDecayedWeights(λ), trace({ momentum, dampening, nesterov }), scaleByLearningRate(η))`,
 * run by `sgdKernel` in one pass per parameter where the backend allows (see `fusedChain`), and by
 * `sgdKernelInPlace` (`sgdKernelSimd` for large parameters) on the state `optimize` owns.
 * Every option is checked when built; nesterov without momentum, or with dampening, is rejected.
 *
 * @example
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * const s0 = opt.init(params);
 * const { updates, state } = opt.update(grads, s0, params);
 */
export function sgd(options: SgdOptions = {}): Transform<unknown[]> {
  const o = withDefaults('sgd', options, sgdDefaults);
  const parts = [
    addDecayedWeights(o.weightDecay),
    trace({ momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov }),
    scaleByLearningRate(o.lr),
  ] as const;
  const nesterov = o.nesterov;
  type KernelHyper = { -readonly [K in keyof SgdKernelHyper]: SgdKernelHyper[K] };
  const fresh = (): KernelHyper => ({ lr: 0, momentum: 0, dampening: 0, nesterov, weightDecay: 0 });
  // The kernel's hyperparameters from the plans (by index: destructuring an array parameter runs
  // the iterator protocol), written into `h`.
  const hyperOf = (plans: PlansOf<typeof parts>, h: KernelHyper): SgdKernelHyper => {
    h.lr = plans[2].hyper.lr;
    h.momentum = plans[1].hyper.momentum;
    h.dampening = plans[1].hyper.dampening;
    h.weightDecay = plans[0].hyper.weightDecay;
    return h;
  };
  // The in-place kernel's record, rewritten per call (the kernel only reads it).
  const kernelHyper = fresh();
  return fusedChain(parts, fusedMode(o.fused), (plans, name, g, p) => {
    const s = plans[1].params[name];
    const h = hyperOf(plans, fresh());
    const r = sgdKernel(g, h.weightDecay === 0 ? undefined : values(p!), s.trace && values(s.trace), h);
    return { update: r.update, fields: [{}, { trace: r.trace ?? s.trace }, undefined] };
  }, (plans, name, g, x, writable, out, own) => {
    const s = plans[1].params[name];
    const h = hyperOf(plans, kernelHyper);
    if (h.momentum === 0) return { check: sgdKernelInPlace(g, x, null, false, h, out), fields: own ? IN_PLACE : [{}, { trace: s.trace }, undefined] };
    const trace = s.trace ? writable(s.trace) : new Float32Array(g.length);
    const check = sgdKernelSimd(g, x, trace, s.trace === null, h, out);
    const kept = s.trace !== null && (own ? own(s.trace) : values(s.trace)) === trace;
    return { check, fields: own && kept ? IN_PLACE : [{}, { trace: kept ? s.trace : trace }, undefined] };
  }, ([, momentum], name) => momentum.params[name].trace !== null, (plans, name, own) => {
    // While the plans hold, the kernel with their values (`SteadyLane`): without momentum it keeps
    // no state arrays; with it, the buffer is written into its tensor's own storage (`ready`).
    const h = hyperOf(plans, fresh());
    if (h.momentum === 0) {
      const eta = -h.lr;
      const general = (g: Float32Array, x: Float32Array, out: InPlaceOutput) => sgdKernelInPlace(g, x, null, false, h, out);
      return { run: h.weightDecay === 0 ? (g, x, out) => (out.update === out.next ? sgdPlainInPlace(g, x, eta, out) : general(g, x, out)) : general };
    }
    const trace = plans[1].params[name].trace;
    if (trace === null) return undefined;
    return { run: (g, x, out) => sgdKernelSimd(g, x, own(trace)!, false, h, out), ready: () => own(trace) !== undefined };
  });
}
