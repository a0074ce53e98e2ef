import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import { RunHolds } from './RunScope';

/** What an operator built with `operate` does with each notification. */
export interface OperatorHandlers<A> {
  /** Handle one value; may call `subscriber.next` zero or more times. */
  next(value: A): void;
  /** Called before the output completes (flush buffered values here). */
  complete?(): void;
  /** Frees what the operator holds; runs exactly once on complete, error or unsubscribe. */
  teardown?(): void;
  /** Frees a value whose `next` threw (the value dies with the error). */
  release?(value: A): void;
}

/**
 * The helper every rxgrad operator is built on.
 *
 * 1. `setup(subscriber)` runs once per subscription and returns the handlers (so per-run state,
 *    e.g. optimizer moments, lives in that closure).
 * 2. A throw in `next` or `complete` — the operator's own code or a user callback — becomes
 *    `subscriber.error`, after `release(value)` freed the value that was being handled.
 * 3. Upstream errors pass through.
 * 4. `teardown` runs once, whichever way the subscription ends (complete, error, unsubscribe).
 * 5. The operator holds the runs (`RunScope`) of the sources it is subscribed to, and of the
 *    steps that reach it, until its teardown: a run's steps still travelling towards it (in a
 *    `delay`, an `observeOn`) are not freed when the source completes, and whatever the run's
 *    steps still hold is freed once every operator of the pipeline has let go.
 *
 * @example
 * const double = () => operate<number, number>((out) => ({ next: (x) => out.next(2 * x) }));
 */
export function operate<A, B>(setup: (subscriber: Subscriber<B>) => OperatorHandlers<A>): OperatorFunction<A, B> {
  return (source) =>
    new Observable<B>((subscriber) => {
      const holds = new RunHolds();
      let handlers: OperatorHandlers<A>;
      try {
        handlers = setup(subscriber);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      // Read once: every operator's handlers are a record of its own shape, which read per value would be megamorphic.
      const onNext = handlers.next;
      // A Subscriber (not a plain observer) linked to the output, so that a downstream
      // unsubscribe during a synchronous emission reaches the source at once (`take(n)` after a
      // synchronous source creates exactly n values).
      const inner = new Subscriber<A>({
        next: (value) => {
          holds.see(value);
          try {
            onNext.call(handlers, value);
          } catch (err) {
            handlers.release?.(value);
            subscriber.error(err);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          try {
            handlers.complete?.();
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.complete();
        },
      });
      subscriber.add(inner);
      subscriber.add(() => {
        handlers.teardown?.();
        holds.releaseAll();
      });
      holds.subscribing(() => source.subscribe(inner));
    });
}
