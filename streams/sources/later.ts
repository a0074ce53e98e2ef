import type { SchedulerLike } from 'rxjs';

/**
 * Run `fn` once, after `ms` milliseconds or, with `ms` undefined, on the event loop's next turn
 * (`setImmediate`: after pending I/O, unlike a microtask); on `scheduler` instead when one is
 * given (a TestScheduler in marble tests). Returns the cancel function.
 *
 * @example
 * const cancel = later(() => console.log('next turn'), undefined);
 * cancel(); // nothing is logged
 */
export function later(fn: () => void, ms: number | undefined, scheduler?: SchedulerLike): () => void {
  if (scheduler) {
    const sub = scheduler.schedule(fn, ms ?? 0);
    return () => sub.unsubscribe();
  }
  if (ms === undefined) {
    const immediate = setImmediate(fn);
    return () => clearImmediate(immediate);
  }
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}
