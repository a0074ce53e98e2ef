import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { scaleByMuon } from '../transforms/scaleByMuon';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { multiTransform, type MultiTransformState } from '../transforms/multiTransform';
import { withDefaults } from '../transforms/withDefaults';
import { hyperOption } from '../resolveHyper';
import { adamw } from './adamw';

/** Options of `muon` (Keller Jordan's `MuonWithAuxAdam`, camelCase; the Adam group's options prefixed `adam`). Hyperparameters accept a number or a schedule. */
export interface MuonOptions {
  /** η, the learning rate of the 2-D parameters (≥ 0). */
  readonly lr?: HyperValue;
  /** β, Muon's momentum (in [0, 1)). */
  readonly momentum?: HyperValue;
  /** Nesterov's form of Muon's momentum. */
  readonly nesterov?: boolean;
  /** Newton–Schulz iterations (an integer ≥ 1). */
  readonly nsSteps?: number;
  /** λ, decoupled weight decay of the 2-D parameters (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** The learning rate of the other parameters (Adam; ≥ 0). */
  readonly adamLr?: HyperValue;
  /** Adam's β1 (in [0, 1)). */
  readonly adamBeta1?: HyperValue;
  /** Adam's β2 (in [0, 1)). */
  readonly adamBeta2?: HyperValue;
  /** Adam's ε (≥ 0). */
  readonly adamEps?: HyperValue;
  /** Adam's decoupled weight decay (≥ 0). */
  readonly adamWeightDecay?: HyperValue;
}

/**
 * Defaults of `muon`: Keller Jordan's reference (KellerJordan/Muon `MuonWithAuxAdam`): Muon lr
 * 0.02, momentum 0.95, Nesterov, 5 Newton–Schulz steps, weight decay 0; Adam lr 3e-4, betas
 * (0.9, 0.95), eps 1e-10, weight decay 0.
 *
 * @example
 * muonDefaults.lr; // 0.02
 */
export const muonDefaults: Readonly<Required<MuonOptions>> = {
  lr: 0.02,
  momentum: 0.95,
  nesterov: true,
  nsSteps: 5,
  weightDecay: 0,
  adamLr: 3e-4,
  adamBeta1: 0.9,
  adamBeta2: 0.95,
  adamEps: 1e-10,
  adamWeightDecay: 0,
};

/**
 * Muon (Keller Jordan 2024) for the 2-D parameters, AdamW for the rest (the reference
 * `MuonWithAuxAdam`; Optax's `contrib.muon` splits the same way):
 *
 *   2-D x (r × c):  m_t = β·m_{t-1} + (1 − β)·g_t,   d_t = (1 − β)·g_t + β·m_t (nesterov) | m_t
 *                   x_t = x_{t-1} − η·(NS₅(d_t)·√max(1, r/c) + λ·x_{t-1})
 *   other x:        AdamW(adamLr, adamBeta1, adamBeta2, adamEps, adamWeightDecay)
 *
 * NS₅ is five quintic Newton–Schulz iterations with Keller Jordan's coefficients
 * (3.4445, −4.7750, 2.0315) (`newtonSchulz`). Built as
 * `multiTransform({ muon: chain(scaleByMuon({ momentum, nesterov, nsSteps }), addDecayedWeights(λ), scaleByLearningRate(η)), adam: adamw({ … }) }, (name, p) => p.rank === 2 ? 'muon' : 'adam')`,
 * so the groups' hyperparameters are `muon.lr`, `adam.lr` … on the step (a plain `lr`, e.g.
 * from `learningRate()`, sets both) and the state is `{ muon, adam }`.
 *
 * @example
 * const opt = muon({ lr: 0.02, adamLr: 3e-4 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function muon(options: MuonOptions = {}): Transform<MultiTransformState> {
  const o = withDefaults('muon', options, muonDefaults);
  // The Adam group's options checked under their own names here (adamw would name them beta2, …).
  const beta = { min: 0, max: 1, maxOpen: true };
  for (const [name, interval] of [['adamLr', { min: 0 }], ['adamBeta1', beta], ['adamBeta2', beta], ['adamEps', { min: 0 }], ['adamWeightDecay', { min: 0 }]] as const) {
    hyperOption(name, o[name], interval);
  }
  return multiTransform(
    {
      muon: chain(scaleByMuon({ momentum: o.momentum, nesterov: o.nesterov, nsSteps: o.nsSteps }), addDecayedWeights(o.weightDecay), scaleByLearningRate(o.lr)),
      adam: adamw({ lr: o.adamLr, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps, weightDecay: o.adamWeightDecay }),
    },
    (_name, p) => (p.rank === 2 ? 'muon' : 'adam'),
  );
}
