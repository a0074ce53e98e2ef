import type { HyperValue, Transform } from '../types';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByAdamax } from '../transforms/scaleByAdamax';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';
import { fusedMode, type FusedMode } from '../kernels/useFused';
import { adamaxKernel, adamaxKernelInPlace } from '../kernels/adamaxKernel';
import { fusedChain, IN_PLACE, type PlansOf } from './fusedChain';
import type { SteadyKernel } from './SteadyLane';
import { NO_VALUES, values } from '../kernels/values';

/** Options of `adamax` (PyTorch's `Adamax`, camelCase; `betas` split into `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface AdamaxOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** β1, the decay of the first moment (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the infinity norm (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), added to |g| inside the maximum. */
  readonly eps?: HyperValue;
  /** λ, L2 weight decay added to the gradient (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** Run the fused kernel: `'auto'` where the backend allows (cpu), `true` always, `false` never (the chain). */
  readonly fused?: FusedMode;
}

/**
 * Defaults of `adamax` (PyTorch's `Adamax`).
 *
 * @example
 * adamaxDefaults.lr; // 2e-3
 */
export const adamaxDefaults: Readonly<Required<AdamaxOptions>> = { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, fused: 'auto' };

/**
 * Adamax, exactly PyTorch's `Adamax`:
 *
 *   g'_t = g_t + λ·x_{t-1}
 *   m_t  = β1·m_{t-1} + (1 − β1)·g'_t
 *   n_t  = max(β2·n_{t-1}, |g'_t| + ε)
 *   x_t  = x_{t-1} − η/(1 − β1^t) · m_t/n_t
 *
 * Built as `chain(addDecayedWeights(λ), scaleByAdamax({ beta1, beta2, eps }), scaleByLearningRate(η))`, run by
 * `adamaxKernel` in one pass per parameter where the backend allows (see `fusedChain`), and by
 * `adamaxKernelInPlace` on the state `optimize` owns.
 *
 * @example
 * const opt = adamax({ lr: 0.01 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function adamax(options: AdamaxOptions = {}): Transform<unknown[]> {
  const o = withDefaults('adamax', options, adamaxDefaults);
  const parts = [addDecayedWeights(o.weightDecay), scaleByAdamax({ beta1: o.beta1, beta2: o.beta2, eps: o.eps }), scaleByLearningRate(o.lr)] as const;
  // The kernel's hyperparameters from the plans (by index), t the parameter's count + 1.
  const hyperOf = (plans: PlansOf<typeof parts>, t: number) => ({
    lr: plans[2].hyper.lr,
    beta1: plans[1].hyper.beta1,
    beta2: plans[1].hyper.beta2,
    eps: plans[1].hyper.eps,
    weightDecay: plans[0].hyper.weightDecay,
    t,
  });
  return fusedChain(parts, fusedMode(o.fused), (plans, name, g, p) => {
    const s = plans[1].params[name];
    const h = hyperOf(plans, s.count + 1);
    const r = adamaxKernel(g, h.weightDecay === 0 ? undefined : values(p!), { m: values(s.m), norm: values(s.norm) }, h);
    return { update: r.update, fields: [{}, { m: r.m, norm: r.norm }, undefined] };
  }, (plans, name, g, x, writable, out, own) => {
    const s = plans[1].params[name];
    const m = writable(s.m);
    const norm = writable(s.norm);
    const h = hyperOf(plans, s.count + 1);
    const check = adamaxKernelInPlace(g, x, { m, norm }, h, out);
    const ownOf = own ?? values;
    const keptM = ownOf(s.m) === m;
    const keptNorm = ownOf(s.norm) === norm;
    if (own && keptM && keptNorm) return { check, fields: IN_PLACE };
    return { check, fields: [{}, { m: keptM ? s.m : m, norm: keptNorm ? s.norm : norm }, undefined] };
  }, undefined, (plans, name, own): SteadyKernel => {
    // While the plans hold (`SteadyLane`): m and the norm written into their tensors' own storage, t the parameter's count + 1.
    const s = plans[1].params[name];
    const h = hyperOf(plans, 0);
    const moments = { m: NO_VALUES, norm: NO_VALUES };
    return {
      run: (g, x, out) => {
        moments.m = own(s.m)!;
        moments.norm = own(s.norm)!;
        h.t = s.count + 1;
        const check = adamaxKernelInPlace(g, x, moments, h, out);
        moments.m = moments.norm = NO_VALUES; // holds no state array after the call
        return check;
      },
      ready: () => own(s.m) !== undefined && own(s.norm) !== undefined,
    };
  });
}
