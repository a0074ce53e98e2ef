import { ReplaySubject, type Observable, type OperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import type { ModelValues } from '../../src/online/snapshotCodec';
import { SOURCE_KEY, type SourcePosition } from '../../src/online/SourcePosition';
import type { Params } from '../../src/types';
import { positiveInt } from '../../src/validate';
import { JETSTREAM_KEY, type JetStreamPosition } from '../nats/jetstream';
import { operate } from '../operate';
import { scopeOf } from '../RunScope';
import type { StepResult } from '../Step';

/**
 * A versioned copy of the parameters (Flink ML's model data): what `predictor` serves from, and
 * what a model store keeps (`encodeSnapshot`). `version` is ⌈step / everySteps⌉ (the same after a
 * resume); `source` is the run's source position at that step (a JetStream source's holds the
 * stream sequence reached) and `sequence` the highest JetStream stream sequence in the model,
 * when known; `params` are copies (float32, row-major).
 */
export type Snapshot = ModelValues;

/** Options of `snapshots`. */
export interface SnapshotsOptions {
  /** Take a snapshot after every step whose number is a multiple of this. */
  readonly everySteps: number;
  /** The parameters being trained. */
  readonly params: Params;
}

/** What `snapshots` returns: the operator to put in the pipeline, and the stream of snapshots it feeds. */
export interface Snapshots {
  /** Put after `applyUpdates`: passes results on unchanged and takes the snapshots. */
  readonly operator: OperatorFunction<StepResult, StepResult>;
  /** The snapshots, newest last; a new subscriber gets the newest one at once. */
  readonly snapshots$: Observable<Snapshot>;
}

/**
 * A stream of versioned model snapshots beside training (Flink ML's model-data stream), for
 * serving predictions from the newest while training continues (`predictor`).
 *
 * 1. After every step t with t mod everySteps = 0, `snapshots$` emits `{ version: t / everySteps,
 *    step, examples, source?, sequence?, params }`, the parameters copied as they are after the
 *    step's update, the run's source position (`SourcePosition`) if the step came from a source,
 *    and with a `jetstream` source the highest stream sequence in the model.
 * 2. When the run completes, a last snapshot is taken if the last step was not (version
 *    ⌈t / everySteps⌉), then `snapshots$` completes. An error or an unsubscribe of the run
 *    leaves `snapshots$` open (a retried or resumed run continues it).
 * 3. `snapshots$` replays the newest snapshot to each new subscriber.
 * 4. Versions depend only on the step, so a resumed run continues the numbering.
 *
 * @example
 * const { operator, snapshots$ } = snapshots({ everySteps: 100, params: model.params });
 * const serving = predictor(logisticRegression(6), snapshots$);
 * replay(table, { batchSize: 1 }).pipe(gradients(model.loss, model.params), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params), operator).subscribe();
 */
export function snapshots(options: SnapshotsOptions): Snapshots {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { everySteps, params }', options);
  const everySteps = positiveInt('everySteps', options.everySteps);
  const { params } = options;
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  const subject = new ReplaySubject<Snapshot>(1);
  const take = (r: StepResult) => {
    const values: Record<string, Float32Array> = {};
    for (const name of Object.keys(params)) values[name] = Float32Array.from(params[name].dataSync() as Float32Array);
    const scope = scopeOf(r);
    const source = scope?.saveOne(SOURCE_KEY) as SourcePosition | undefined;
    const sequence = (scope?.saveOne(JETSTREAM_KEY) as JetStreamPosition | undefined)?.ranges.at(-1)?.[1];
    subject.next({ version: Math.ceil(r.step / everySteps), step: r.step, examples: r.examples, ...(source && { source }), ...(sequence !== undefined && { sequence }), params: values });
  };
  const operator = operate<StepResult, StepResult>((out) => {
    let last: StepResult | undefined;
    let taken: StepResult | undefined;
    return {
      next: (r) => {
        last = r;
        if (r.step % everySteps === 0) {
          take(r);
          taken = r;
        }
        out.next(r);
      },
      complete: () => {
        if (last && taken !== last) take(last);
        subject.complete();
      },
    };
  });
  return { operator, snapshots$: subject.asObservable() };
}
