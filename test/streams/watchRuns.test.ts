import { map, Observable, repeat, take, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RunScope } from '../../streams/RunScope';
import { disposeStep, type Batch, type Step } from '../../streams/Step';
import { watchRuns } from '../../streams/watchRuns';
import { expectNoLeak, marbles, tinyStep } from '../helpers';

/** A synchronous source with a run of its own (restored `{ part: n }`): steps 1…n, each owning two tensors, then complete or `fail`. */
function source(n: number, made: number[], fail?: Error): Observable<Step<Batch>> {
  return new Observable<Step<Batch>>((subscriber) => {
    const scope = RunScope.open({ part: n });
    for (let t = 1; t <= n && !subscriber.closed; t++) {
      made.push(t);
      subscriber.next(scope.own({ ...tinyStep(t), scope }));
    }
    if (fail) subscriber.error(fail);
    else subscriber.complete();
    return () => scope.end();
  });
}

/** The step number of each step, the step freed as it arrives. */
const numbers = map((s: Step<Batch>) => {
  disposeStep(s);
  return s.step;
});

describe('watchRuns', () => {
  it('passes the steps on as they are and reports the run the source opens while subscribed, once, before its first step; no leak', async () => {
    const seen: string[] = [];
    await expectNoLeak(() => {
      watchRuns(source(3, []), (scope) => seen.push(`run ${scope.restored('part')}`))
        .pipe(numbers)
        .subscribe({ next: (t) => seen.push(`step ${t}`), complete: () => seen.push('complete') });
    });
    expect(seen).toEqual(['run 3', 'step 1', 'step 2', 'step 3', 'complete']);
  });

  it('an error passes through after the steps before it; no leak', async () => {
    const seen: unknown[] = [];
    await expectNoLeak(() => {
      watchRuns(source(2, [], new Error('gone')), () => seen.push('run'))
        .pipe(numbers)
        .subscribe({ next: (t) => seen.push(t), error: (e: Error) => seen.push(e.message) });
    });
    expect(seen).toEqual(['run', 1, 2, 'gone']);
  });

  it('a synchronous source cut by take(n) makes exactly n steps; no leak', async () => {
    const made: number[] = [];
    const runs: RunScope[] = [];
    await expectNoLeak(() => {
      watchRuns(source(5, made), (scope) => runs.push(scope)).pipe(numbers, take(2)).subscribe();
    });
    expect(made).toEqual([1, 2]);
    expect(runs.length).toBe(1);
    expect(runs[0].closed).toBe(true);
  });

  it('a synchronous source repeated opens its runs during the subscription: each reported; a later asynchronous run is not', async () => {
    let calls = 0;
    await expectNoLeak(() => {
      watchRuns(source(1, []).pipe(repeat(3)), () => calls++).pipe(numbers).subscribe();
    });
    expect(calls).toBe(3);
    let later = 0;
    await expectNoLeak(() => {
      const steps: number[] = [];
      return new Promise<void>((done) =>
        watchRuns(source(1, []).pipe(repeat({ count: 2, delay: () => timer(1) })), () => later++)
          .pipe(numbers)
          .subscribe({ next: (t) => steps.push(t), complete: () => (expect(steps).toEqual([1, 1]), done()) }),
      );
    });
    expect(later).toBe(1);
  });

  it('marbles: values, errors and the subscription are the source’s; no run, no call', () => {
    let calls = 0;
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-a-b|');
      expectObservable(watchRuns(a, () => calls++)).toBe('-a-b|');
      expectSubscriptions(a.subscriptions).toBe('^---!');
      const e = cold('-a#', undefined, new Error('x'));
      expectObservable(watchRuns(e, () => calls++)).toBe('-a#', undefined, new Error('x'));
      const c = cold('-a-b-c|');
      expectObservable(watchRuns(c, () => calls++), '^--!').toBe('-a-');
      expectSubscriptions(c.subscriptions).toBe('^--!');
    });
    expect(calls).toBe(0);
  });
});
