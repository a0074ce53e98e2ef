import { Observable } from 'rxjs';
import { RunHolds, type RunScope } from './RunScope';

/** Sees the runs sources open while it is being subscribed (`RunScope.open`), without holding them. */
class RunWatch extends RunHolds {
  constructor(private readonly onRun: (scope: RunScope) => void) {
    super();
  }

  override take(scope: RunScope): void {
    this.onRun(scope);
  }
}

/**
 * `source`, calling `onRun(scope)` for each run (`RunScope`) a source upstream opens while
 * `source` is being subscribed — before its first step, without holding the run. So an operator
 * after it can restore its state from the run (`scope.restored`), and flush at the end, even in a
 * resumed run whose source has no step left to give (`progressiveValidation`).
 *
 * 1. Values, errors and completion pass through as they are; the subscription is `source`'s.
 * 2. `onRun` is called synchronously, during the subscription, once per run opened then — a
 *    synchronous source's later runs by `repeat` or `retry` too, as they open before the
 *    subscription returns; none for runs opened after it (their steps carry them).
 *
 * @example
 * watchRuns(replay(table, { batchSize: 1 }), (scope) => console.log(scope.restored('evaluation')));
 */
export function watchRuns<T>(source: Observable<T>, onRun: (scope: RunScope) => void): Observable<T> {
  return new Observable<T>((inner) => new RunWatch(onRun).subscribing(() => inner.add(source.subscribe(inner))));
}
