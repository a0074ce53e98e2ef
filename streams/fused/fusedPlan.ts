import * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';
import { hasArrayUpdate } from '../../src/optimizers/fusedChain';
import type { Params } from '../../src/types';
import { fusionOf, type FusedRows, type GradientsFusion, type OptimizeFusion, type PassFusion, type PassStage, type SourceFusion, type StepOutput } from './fusion';

/** What the fused run of a pipeline is made of (see `fusedPlan`). */
export interface FusedPlan {
  readonly source: SourceFusion;
  /** The tensor-free operators, in pipeline order, each as its stage's setup for this run (`PassFusion.handlers`). */
  readonly passes: readonly ((out: StepOutput) => PassStage)[];
  readonly gradients: GradientsFusion;
  readonly optimize: OptimizeFusion;
  /** The source's rows for the loss. */
  readonly rows: FusedRows;
  /** Whether the fused run can start now (the backend in force: `cpu`, where parameters are updated in their own storage). */
  runs(): boolean;
}

/**
 * The fused run of the pipeline `upstream` feeding `applyUpdates(params)`, or `undefined` when
 * it has none (then the general path runs):
 *
 * 1. Walking up from `applyUpdates`, every Observable must describe itself (`fusionOf`): an
 *    `optimize` whose transform has an array kernel (`hasArrayUpdate`), then tensor-free
 *    operators (`pass`), exactly one `gradients` with an analytic loss over the same parameter
 *    variables as `params`, passes again, and a source whose rows the loss takes as they are
 *    (`SourceFusion.rows`). Any other Observable — a user's operator — breaks the chain.
 * 2. A pass that needs `ExampleBatch` steps (`progressiveValidation`) needs a source that gives
 *    them (on `minibatches` the general path reports its error).
 * 3. `runs()` is checked at each subscription: the backend is `cpu` and the optimizer's array
 *    kernel runs there for these parameters (not with `fused: false`).
 *
 * @example
 * fusedPlan(replay(t, { batchSize: 1 }).pipe(gradients(m.loss, m.params), optimize(sgd())), m.params)?.passes.length; // 0
 */
export function fusedPlan(upstream: Observable<unknown>, params: Params): FusedPlan | undefined {
  let at = fusionOf(upstream);
  if (at?.stage !== 'optimize' || !hasArrayUpdate(at.transform)) return undefined;
  const optimize = at;
  const found: PassFusion[] = [];
  let examples = false;
  let gradients: GradientsFusion | undefined;
  for (at = at.upstream && fusionOf(at.upstream); at !== undefined; at = at.upstream && fusionOf(at.upstream)) {
    if (at.stage === 'source') break;
    if (at.stage === 'pass') {
      found.unshift(at);
      examples ||= at.examples;
    } else if (at.stage === 'gradients' && gradients === undefined) gradients = at;
    else return undefined;
  }
  if (at?.stage !== 'source' || gradients === undefined) return undefined;
  const names = Object.keys(params);
  const own = gradients.params;
  if (Object.keys(own).length !== names.length || names.some((n) => own[n] !== params[n])) return undefined;
  const rows = at.rows(gradients.analytic);
  if (rows === undefined || (examples && !rows.examples)) return undefined;
  const source = at;
  const transform = optimize.transform;
  const passes = found.map((pass) => pass.handlers(gradients!));
  const size = names.reduce((sum, n) => sum + params[n].size, 0);
  return {
    source,
    passes,
    gradients,
    optimize,
    rows,
    runs: () => tf.getBackend() === 'cpu' && hasArrayUpdate(transform) && transform.runsArrays(size),
  };
}
