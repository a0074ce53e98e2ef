import { Observable, type Subscriber } from 'rxjs';
import { RunScope } from '../RunScope';

/** How a source paces its emissions. */
export interface DriveOptions {
  /**
   * Emit synchronously, but give the event loop a turn after this many milliseconds of work
   * (so sockets, timers and Ctrl-C are served during a long run). Default: never yield.
   */
  readonly yieldEveryMs?: number;
  /**
   * While the latest value is `true`, no new step is produced (pause); `false` resumes. The
   * source then waits without spinning.
   */
  readonly paused?: Observable<boolean>;
  /**
   * The checkpoint this run resumes from: `state` is `RunScope.save()`'s data, which every
   * subscription's `RunScope` hands back to each part through `restored(key)`.
   */
  readonly resume?: { readonly state: Readonly<Record<string, unknown>> };
}

/**
 * Build a source from a step producer.
 *
 * 1. `producer(scope)` runs once per subscription and returns `produce`, which is called for each
 *    value and returns it, or `undefined` when done (complete). `scope` is the subscription's
 *    run (`RunScope.open(options.resume?.state)`): a step producer puts it on every step and records
 *    the step with `scope.own(step)`; the source's hold on it ends with the subscription.
 * 2. Nothing is produced once the subscriber has closed, so `take(n)` after a synchronous
 *    source creates exactly n values.
 * 3. With `yieldEveryMs`, the loop continues on `setImmediate` after that much work; with
 *    `paused`, it stops producing while paused and resumes on `false`.
 * 4. A throw in `produce` becomes the stream's error.
 *
 * @example
 * const counter = drive(() => {
 *   let i = 0;
 *   return () => (i < 3 ? ++i : undefined);
 * }); // emits 1, 2, 3 to every subscriber
 */
export function drive<T>(producer: (scope: RunScope) => () => T | undefined, options: DriveOptions = {}): Observable<T> {
  return new Observable<T>((subscriber: Subscriber<T>) => {
    const { yieldEveryMs, paused } = options;
    const scope = RunScope.open(options.resume?.state);
    subscriber.add(() => scope.end());
    let produce: () => T | undefined;
    try {
      produce = producer(scope);
    } catch (err) {
      subscriber.error(err);
      return;
    }
    let isPaused = false;
    let waiting = false;
    let immediate: NodeJS.Immediate | undefined;
    const run = () => {
      waiting = false;
      immediate = undefined;
      const start = performance.now();
      while (!subscriber.closed) {
        if (isPaused) {
          waiting = true;
          return;
        }
        let value: T | undefined;
        try {
          value = produce();
        } catch (err) {
          subscriber.error(err);
          return;
        }
        if (value === undefined) {
          subscriber.complete();
          return;
        }
        subscriber.next(value);
        if (yieldEveryMs !== undefined && performance.now() - start >= yieldEveryMs) {
          immediate = setImmediate(run);
          return;
        }
      }
    };
    const pauseSub = paused?.subscribe({
      next: (p) => {
        isPaused = p;
        if (!p && waiting) immediate = setImmediate(run);
      },
      error: (err) => subscriber.error(err),
    });
    run();
    return () => {
      pauseSub?.unsubscribe();
      if (immediate) clearImmediate(immediate);
    };
  });
}
