import type { Observable, OperatorFunction } from 'rxjs';
import type { AnalyticLoss } from '../../src/fast/AnalyticLoss';
import type { Params, Transform } from '../../src/types';
import type { OperatorHandlers } from '../operate';
import type { RunScope } from '../RunScope';
import type { Step } from '../Step';

/** A batch as the analytic pass reads it: n rows of features `x` (row-major) and targets `y`. */
export interface RowArrays {
  readonly n: number;
  readonly x: Float32Array;
  readonly y: ArrayLike<number>;
}

/** A source's steps in the form the fused run takes (see `SourceFusion`). */
export interface FusedRows {
  /** The steps: the same numbers, positions and run (`RunScope`) as the source's own, batches without tensors. */
  readonly steps: Observable<Step<unknown>>;
  /** A batch's arrays (checked as the general path checks it); throws what that path throws. */
  arrays(batch: unknown): RowArrays;
  /** Whether the steps' batches are `ExampleBatch`es (what `progressiveValidation` needs). */
  readonly examples: boolean;
}

/** A source that can give its batches as rows of a typed-array table. */
export interface SourceFusion {
  readonly stage: 'source';
  /** Its steps for `analytic`, or `undefined` when the analytic pass would not take its batches as they are. */
  rows(analytic: AnalyticLoss): FusedRows | undefined;
}

/** Where a pass's stage (`PassFusion.stage`) passes its steps on, and fails the run (a side stream's error). */
export interface StepOutput {
  next(step: Step<any>): void;
  error(err: unknown): void;
}

/**
 * A pass's handlers for one subscription of the fused run, as `operate`'s (the same `next`,
 * `complete`, `release`, `teardown`), and `run(scope)`: called with a run its source opens while
 * the fused run is being subscribed (`progressiveValidation` restores its state from it).
 */
export interface PassStage extends OperatorHandlers<Step<any>> {
  run?(scope: RunScope): void;
}

/**
 * An operator that touches neither tensors nor parameters (`progressiveValidation`,
 * `learningRate`, `hyper`, `override`): the fused run calls its handlers for each step, so its
 * streams, state, checkpoint part and errors are exactly the operator's.
 */
export interface PassFusion {
  readonly stage: 'pass';
  /**
   * The operator as the fused run whose `gradients` stage is `gradients` applies it, as one
   * synchronous stage: the setup `operate` runs per subscription of the operator (its handlers,
   * passing steps on to `out`), or of its form for the fused run — the same steps less the
   * fields only a general path's later operators read, the model scored with the analytic pass
   * (`progressiveValidation`). The fused run calls its passes' handlers one after the other for
   * each step, with no RxJS subscriber between them.
   */
  readonly handlers: (gradients: GradientsFusion) => (out: StepOutput) => PassStage;
  /** Whether it needs `ExampleBatch` steps (`progressiveValidation`). */
  readonly examples: boolean;
}

/** `gradients` with a loss that carries its analytic gradient over exactly `params`. */
export interface GradientsFusion {
  readonly stage: 'gradients';
  readonly analytic: AnalyticLoss;
  readonly params: Params;
}

/** `optimize` with a transform that runs on arrays, and its own helpers (state start, hyperparameter check). */
export interface OptimizeFusion<S = any> {
  readonly stage: 'optimize';
  readonly transform: Transform<S>;
  /** Its checkpoint key. */
  readonly key: string;
  /** The first state of a run (`optimize`'s 1: restored, a copy of `options.state`, or `init`). */
  start(scope: RunScope | undefined, params: Params): S;
  /** `optimize`'s 3: a hyperparameter the transform does not read fails the step. */
  checkHyper(step: Step<any>): void;
}

/** What a stage of a pipeline says about itself. */
export type Fusion = SourceFusion | PassFusion | GradientsFusion | OptimizeFusion;

const FUSION = Symbol.for('rxgrad.fusion');

/** A described Observable's stage, and the Observable it was built on (none for a source). */
export type Described = Fusion & { readonly upstream?: Observable<unknown> };

/**
 * `observable`, marked as stage `fusion` built on `upstream` (returns `observable` itself).
 *
 * @example
 * return describe(drive(producer), { stage: 'source', rows: (analytic) => … });
 */
export function describe<T>(observable: Observable<T>, fusion: Fusion, upstream?: Observable<unknown>): Observable<T> {
  // Object.assign, not a spread: records of one stage then share one shape from run to run.
  Object.defineProperty(observable, FUSION, { value: upstream === undefined ? fusion : Object.assign({}, fusion, { upstream }) });
  return observable;
}

/**
 * `operator`, whose output Observables are marked as stage `fusion` built on their source.
 *
 * @example
 * return fusable(operate(setup), { stage: 'pass', handlers: () => setup, examples: false });
 */
export function fusable<A, B>(operator: OperatorFunction<A, B>, fusion: Fusion): OperatorFunction<A, B> {
  return (source) => describe(operator(source), fusion, source);
}

/**
 * The stage an Observable describes (`describe`), or `undefined` for any other Observable (a
 * user's `map`, `tap`, an unknown operator).
 *
 * @example
 * fusionOf(replay(table, { batchSize: 1 }))?.stage; // 'source'
 * fusionOf(of(1));                                  // undefined
 */
export function fusionOf(observable: Observable<unknown>): Described | undefined {
  return (observable as unknown as Record<symbol, Described | undefined>)[FUSION];
}
