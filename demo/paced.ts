import { BehaviorSubject, combineLatest, defer, distinctUntilChanged, finalize, map, tap, type Observable } from 'rxjs';

/**
 * Slow a run down to at most one step per `ms`, so it can be watched and steered live, through
 * the sources' `paused` option (no buffering: a step is produced only when the run may take it).
 *
 * 1. `start(paused)` builds the run with the `paused` stream it must hand to its source.
 * 2. `paused` is `true` while `userPaused` is, and for `ms` after every step the run emits.
 * 3. `ms` = 0 leaves the run at full speed (only `userPaused` pauses it).
 *
 * @example
 * paced((paused) => experiment.run({ paused, lr }), pausedFromDashboard, 100).subscribe();
 */
export function paced<T>(start: (paused: Observable<boolean>) => Observable<T>, userPaused: Observable<boolean>, ms: number): Observable<T> {
  if (ms <= 0) return start(userPaused);
  return defer(() => {
    const hold = new BehaviorSubject(false);
    let timer: NodeJS.Timeout | undefined;
    const paused = combineLatest([userPaused, hold]).pipe(
      map(([user, held]) => user || held),
      distinctUntilChanged(),
    );
    return start(paused).pipe(
      tap(() => {
        hold.next(true);
        timer = setTimeout(() => hold.next(false), ms);
      }),
      finalize(() => clearTimeout(timer)),
    );
  });
}
