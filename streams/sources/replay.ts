import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { exampleTable, type ExampleRows, type ExampleTable } from '../../src/online/ExampleTable';
import { SOURCE_KEY, sourcePosition, type SourcePosition } from '../../src/online/SourcePosition';
import { inRange, positiveInt } from '../../src/validate';
import { wallClock } from '../../src/wallClock';
import { RunScope } from '../RunScope';
import type { Step } from '../Step';
import { drive, type DriveOptions } from './drive';
import { describe } from '../fused/fusion';
import { exampleRows } from '../fused/exampleRows';

/** The indices from … from + n − 1 (a plain loop: `Array.from` with a map costs a microsecond a step). */
function rowIds(from: number, n: number): number[] {
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = from + i;
  return ids;
}

/** Options of `replay`. */
export interface ReplayOptions extends DriveOptions {
  /** Examples per step (the last one may be smaller). */
  readonly batchSize: number;
  /** Examples per second (default: as fast as possible, synchronously, like `minibatches`). */
  readonly rate?: number;
  /** Timers and clock when `rate` is set (default `asyncScheduler`); a TestScheduler in tests. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Play a finite table in order as a stream of online steps: the same batches every time, so a
 * replayed run is reproducible (demos, tests, benchmarks, resumes).
 *
 * 1. Batches of `batchSize` consecutive rows (the last may be smaller), by count only; the
 *    stream completes after the last row.
 * 2. Without `rate`, steps are emitted synchronously (`drive`: `take(n)` produces exactly n;
 *    `yieldEveryMs` and `paused` as in `minibatches`). With `rate`, row i of this subscription
 *    arrives i / rate seconds after it started and a batch is emitted when its last row has
 *    arrived; after a pause the pace restarts from the moment of resuming.
 * 3. Each step: `step`, `epoch` 1, `batch` (an `ExampleBatch` with fresh typed arrays; `ids` the
 *    row indices, `times` the emission time: `scheduler.now()` when a scheduler is given, else
 *    the wall-clock time of `startedAt`, `wallClock`), `size`, `examples`, `startedAt`, `hyper` {},
 *    `scope` — a run per subscription (`RunScope.open(resume.state)`), where the source registers
 *    `{ step, examples }` under `source` — and `online.ingest` (every row played so far received
 *    and trained, none queued, dropped or rejected; a resumed run counts the rows before it too).
 * 4. With `resume`, the first step is the one after the checkpoint's: rows from its `examples` on.
 * 5. Its batches are typed arrays already: it is a source of `applyUpdates`' fused path as it is
 *    (`exampleRows`); the fused run's steps (the same steps, in a run of their own) carry views of
 *    the table's rows as `x`, and `y`, `ids` and `times` in arrays each run reuses from step to step
 *    (nothing there keeps or writes a batch's arrays: the operators read them within the step).
 *
 * @example
 * replay({ xs: [[0], [1], [2]], ys: [0, 1, 0] }, { batchSize: 2 })
 *   .subscribe((s) => console.log(s.step, Array.from(s.batch.x))); // 1 [0, 1], then 2 [2]
 */
export function replay(table: ExampleTable | ExampleRows, options: ReplayOptions): Observable<Step<ExampleBatch>> {
  const t = exampleTable(table);
  const batchSize = positiveInt('batchSize', options?.batchSize);
  const rate = options.rate === undefined ? undefined : inRange('rate', options.rate, { min: 0, minOpen: true });
  const scheduler = options.scheduler ?? asyncScheduler;

  // One subscription's producer: the size of the next step (0 after the last row) and the step.
  // `views`: the batch's x is a view of the table, its y, ids and times arrays reused (the fused run's rows, which nothing keeps or writes).
  const producer = (scope: RunScope, views: boolean): { size: () => number; next: () => Step<ExampleBatch> | undefined } => {
    const restored = sourcePosition(scope.restored(SOURCE_KEY));
    let step = restored?.step ?? 0;
    let examples = restored?.examples ?? 0;
    scope.register(SOURCE_KEY, { save: (): SourcePosition => ({ step, examples }) });
    let y = new Float32Array(0);
    let ids: number[] = [];
    let times = new Float64Array(0);
    const next = (): Step<ExampleBatch> | undefined => {
      const from = examples;
      const to = Math.min(from + batchSize, t.n);
      if (from >= to) return undefined;
      const n = to - from;
      step += 1;
      examples = to;
      // One clock read gives both times unless a scheduler keeps the clock (3).
      const startedAt = performance.now();
      const now = options.scheduler === undefined ? wallClock(startedAt) : scheduler.now();
      if (!views) {
        y = t.ys.slice(from, to);
        ids = rowIds(from, n);
        times = new Float64Array(n).fill(now);
      } else {
        if (y.length !== n) {
          y = new Float32Array(n);
          ids = new Array<number>(n);
          times = new Float64Array(n);
        }
        for (let i = 0; i < n; i++) {
          y[i] = t.ys[from + i];
          ids[i] = from + i;
          times[i] = now;
        }
      }
      const batch: ExampleBatch = { n, d: t.d, x: views ? t.xs.subarray(from * t.d, to * t.d) : t.xs.slice(from * t.d, to * t.d), y, ids, times };
      return scope.own({
        step,
        epoch: 1,
        batch,
        size: n,
        examples,
        startedAt,
        hyper: {},
        scope,
        online: { ingest: { received: examples, queued: 0, trained: examples, dropped: 0, rejected: 0, lag: 0 } },
      });
    };
    return { size: () => Math.max(0, Math.min(batchSize, t.n - examples)), next };
  };

  const steps = (views: boolean) => (rate === undefined ? drive((scope) => producer(scope, views).next, options) : pacedSteps(views, rate));
  return describe(steps(false), { stage: 'source', rows: (analytic) => exampleRows(steps(true), analytic) });

  function pacedSteps(views: boolean, rate: number): Observable<Step<ExampleBatch>> {
    return new Observable<Step<ExampleBatch>>((subscriber) => {
      const scope = RunScope.open(options.resume?.state);
      subscriber.add(() => scope.end());
      let run: ReturnType<typeof producer>;
      try {
        run = producer(scope, views);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      let isPaused = false;
      let timer: Subscription | undefined;
      // Pace: `due` rows have arrived `(due − 1) / rate` s after `t0`.
      let t0 = scheduler.now();
      let paced = 0;
      const tick = () => {
        timer = undefined;
        while (!subscriber.closed && !isPaused) {
          const size = run.size();
          if (size === 0) return subscriber.complete();
          // A batch is made only when due, so the position a checkpoint saves meanwhile is exact.
          const wait = t0 + ((paced + size - 1) * 1000) / rate - scheduler.now();
          if (wait > 0) {
            timer = scheduler.schedule(tick, wait);
            return;
          }
          paced += size;
          subscriber.next(run.next() as Step<ExampleBatch>);
        }
      };
      const pauseSub = options.paused?.subscribe({
        next: (p) => {
          isPaused = p;
          timer?.unsubscribe();
          timer = undefined;
          if (!p) {
            t0 = scheduler.now();
            paced = 0;
            tick();
          }
        },
        error: (err) => subscriber.error(err),
      });
      if (!isPaused) tick();
      return () => {
        pauseSub?.unsubscribe();
        timer?.unsubscribe();
      };
    });
  }
}
