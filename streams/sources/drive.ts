import { Observable, type Subscriber } from 'rxjs';

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
}

/**
 * Build a source from a step producer.
 *
 * 1. `producer()` runs once per subscription and returns `produce`, which is called for each
 *    value and returns it, or `undefined` when done (complete).
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
export function drive<T>(producer: () => () => T | undefined, options: DriveOptions = {}): Observable<T> {
  return new Observable<T>((subscriber: Subscriber<T>) => {
    const { yieldEveryMs, paused } = options;
    let produce: () => T | undefined;
    try {
      produce = producer();
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
