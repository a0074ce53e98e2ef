import { describe, expect, it } from 'vitest';
import { asyncScheduler, BehaviorSubject, lastValueFrom, map, take, toArray } from 'rxjs';
import { replay } from '../../../streams/sources/replay';
import type { Step } from '../../../streams/Step';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { expectNoLeak, marbles } from '../../helpers';
import { wallClock } from '../../../src/wallClock';

const table = { xs: [[0, 0.5], [1, 1.5], [2, 2.5], [3, 3.5], [4, 4.5]], ys: [0, 1, 0, 1, 1] };
const firsts = (s: Step<ExampleBatch>) => Array.from({ length: s.batch.n }, (_, i) => s.batch.x[i * s.batch.d]);

describe('replay', () => {
  it('plays the table in order in batches by count, with steps, ids, labels and counters', async () => {
    const steps = await lastValueFrom(replay(table, { batchSize: 2 }).pipe(toArray()));
    expect(steps.map((s) => [s.step, s.epoch, s.size, s.examples])).toEqual([[1, 1, 2, 2], [2, 1, 2, 4], [3, 1, 1, 5]]);
    expect(Array.from(steps[0].batch.x)).toEqual([0, 0.5, 1, 1.5]);
    expect(Array.from(steps[1].batch.y)).toEqual([0, 1]);
    expect(steps[2].batch.ids).toEqual([4]);
    expect(steps[2].online?.ingest).toEqual({ received: 5, queued: 0, trained: 5, dropped: 0, rejected: 0, lag: 0 });
    expect(steps[0].hyper).toEqual({});
    expect(steps[0].scope).toBe(steps[2].scope);
    expect(steps[2].scope!.save()).toEqual({ source: { step: 3, examples: 5 } });
  });

  it('times: the wall-clock time of the step’s startedAt (one clock read), or the given scheduler’s now', async () => {
    const before = Date.now();
    const steps = await lastValueFrom(replay(table, { batchSize: 2 }).pipe(toArray()));
    const after = Date.now();
    for (const s of steps) {
      for (const t of s.batch.times) {
        expect(t).toBe(wallClock(s.startedAt));
        // wallClock follows the monotonic clock from the process's start: Date.now() within a second (a step of the
        // system clock since the process started is not seen), not the monotonic ms, seconds or another epoch.
        expect(t).toBeGreaterThanOrEqual(before - 1000);
        expect(t).toBeLessThanOrEqual(after + 1000);
      }
    }
    const virtual = { now: () => 1234, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
    const timed = await lastValueFrom(replay(table, { batchSize: 5, scheduler: virtual }));
    expect(Array.from(timed.batch.times)).toEqual([1234, 1234, 1234, 1234, 1234]);
  });

  it('is synchronous without a rate and produces exactly n steps under take(n) (marbles)', () => {
    marbles().run(({ expectObservable }) => {
      expectObservable(replay(table, { batchSize: 2 }).pipe(map(firsts))).toBe('(xyz|)', { x: [0, 1], y: [2, 3], z: [4] });
    });
    let made = 0;
    replay(table, { batchSize: 1 }).pipe(take(2)).subscribe((s) => (made = s.examples));
    expect(made).toBe(2);
  });

  it('paces rows at `rate` per second: a batch is due when its last row has arrived (marbles)', () => {
    marbles().run(({ expectObservable }) => {
      // 1000 rows/s: row i arrives at i ms → [0, 1] at 1, [2, 3] at 3, [4] at 4
      const out = replay(table, { batchSize: 2, rate: 1000, scheduler: asyncScheduler }).pipe(map(firsts));
      expectObservable(out).toBe('-x-y(z|)', { x: [0, 1], y: [2, 3], z: [4] });
    });
  });

  it('stops while paused and restarts the pace on resume; early unsubscribe stops it (marbles)', () => {
    marbles().run(({ hot, expectObservable }) => {
      // paused from 2 to 6: [0, 1] at 1; the pace restarts at 6: rows 2, 3 arrive at 6, 7 and row 4 at 8
      const paused = hot('f-t---f', { t: true, f: false });
      const out = replay(table, { batchSize: 2, rate: 1000, paused, scheduler: asyncScheduler }).pipe(map(firsts));
      expectObservable(out).toBe('-x-----y(z|)', { x: [0, 1], y: [2, 3], z: [4] });
      const out2 = replay(table, { batchSize: 1, rate: 1000, scheduler: asyncScheduler }).pipe(map(firsts));
      expectObservable(out2, '^-!').toBe('xy', { x: [0], y: [1] });
    });
  });

  it('a resumed run continues after the checkpoint’s position with the batches of an uninterrupted one', async () => {
    const whole = (await lastValueFrom(replay(table, { batchSize: 2 }).pipe(toArray()))).map((s) => [s.step, s.examples, firsts(s)]);
    const first = await lastValueFrom(replay(table, { batchSize: 2 }).pipe(take(1)));
    const state = first.scope!.save();
    const rest = await lastValueFrom(replay(table, { batchSize: 2, resume: { state } }).pipe(toArray()));
    expect([[first.step, first.examples, firsts(first)], ...rest.map((s) => [s.step, s.examples, firsts(s)])]).toEqual(whole);
    const again = await lastValueFrom(replay(table, { batchSize: 2, rate: 1e6, resume: { state } }).pipe(toArray()));
    expect(again.map(firsts)).toEqual(rest.map(firsts));
  });

  it('plays an ExampleTable as is, and pauses in real time', async () => {
    const t = { n: 2, d: 1, xs: Float32Array.of(7, 8), ys: Float32Array.of(1, 0) };
    const paused = new BehaviorSubject(true);
    const seen: number[][] = [];
    const done = new Promise<void>((resolve) => replay(t, { batchSize: 1, paused }).subscribe({ next: (s) => seen.push(firsts(s)), complete: resolve }));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([]);
    paused.next(false);
    await done;
    expect(seen).toEqual([[7], [8]]);
  });

  it('leaves no tensor behind after complete, error and early unsubscribe', async () => {
    await expectNoLeak(async () => {
      await lastValueFrom(replay(table, { batchSize: 2 }).pipe(toArray()));
      await lastValueFrom(replay(table, { batchSize: 2, resume: { state: { source: 'x' } } })).catch(() => undefined);
      await lastValueFrom(replay(table, { batchSize: 2, rate: 1e5 }).pipe(take(1)));
    });
  });

  it('rejects bad input naming the field', async () => {
    expect(() => replay(table, { batchSize: 0 })).toThrow('Expected `batchSize` an integer ≥ 1, got 0');
    expect(() => replay(table, { batchSize: 1, rate: 0 })).toThrow('Expected `rate` > 0, got 0');
    expect(() => replay({ xs: [[1], [NaN]], ys: [0, 1] }, { batchSize: 1 })).toThrow('Expected `x[0]` a finite number, got NaN (row 1)');
    await expect(lastValueFrom(replay(table, { batchSize: 2, resume: { state: { source: 'x' } } }))).rejects.toThrow(
      'Expected `resume.state.source` a source position { step, examples, position? }, got "x"',
    );
  });
});
