import type { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import type { Step } from '../Step';
import { pushSource, type PushOptions } from './pushSource';
import { describe } from '../fused/fusion';
import { exampleRows } from '../fused/exampleRows';

/**
 * Micro-batch any Observable of examples `{ x, y?, id?, time? }` (features as `number[]` or
 * `Float32Array`) into training steps, through a bounded queue (`pushSource`).
 *
 * 1. Each example is checked (`checkExample`): a wrong width, `NaN`, a non-number… is counted
 *    as rejected with its reason (in every step's `online.ingest`) and the run continues.
 * 2. Batches by count (`batchSize`) and/or time (`maxWaitMs`); the last partial batch is
 *    emitted when `examples` completes, then the stream completes. An error of `examples`
 *    errors the stream.
 * 3. An Observable cannot be paused: with policy `block`, examples arriving at a full queue are
 *    dropped (counted); choose the policy that fits (`dropOldest`, `sample` …).
 * 4. Its batches are typed arrays: it is a source of `applyUpdates`' fused path as it is
 *    (`exampleRows`).
 *
 * @example
 * import { of } from 'rxjs';
 * fromExamples(of({ x: [1, 2], y: 1 }, { x: [3, NaN], y: 0 }, { x: [5, 6] }), { batchSize: 2 })
 *   .subscribe((s) => console.log(s.size, s.online?.ingest?.rejected)); // 2 1
 */
export function fromExamples(examples: Observable<unknown>, options: PushOptions): Observable<Step<ExampleBatch>> {
  const steps = pushSource((sink) => {
    const sub = examples.subscribe({ next: (e) => sink.offer(e), error: (err) => sink.error(err), complete: () => sink.complete() });
    return { stop: () => sub.unsubscribe() };
  }, options);
  return describe(steps, { stage: 'source', rows: (analytic) => exampleRows(steps, analytic) });
}
