import { describe, expect, it } from 'vitest';
import { asyncScheduler, BehaviorSubject, lastValueFrom, map, Observable, take, toArray } from 'rxjs';
import { fromExamples } from '../../../streams/sources/fromExamples';
import type { Step } from '../../../streams/Step';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { expectNoLeak, marbles } from '../../helpers';

const ex = (v: number) => ({ x: [v, 10 * v], y: v % 2, id: v });
const firsts = (s: Step<ExampleBatch>) => Array.from({ length: s.batch.n }, (_, i) => s.batch.x[i * s.batch.d]);
const values = { a: ex(1), b: ex(2), c: ex(3), d: ex(4), e: ex(5), n: { x: [1, NaN] }, w: { x: [1, 2, 3] }, s: { x: ['1', 2] } };

describe('fromExamples', () => {
  it('batches by count, flushes the partial batch on complete, then completes (marbles)', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('abcde|', values);
      const out = fromExamples(src, { batchSize: 2, scheduler: asyncScheduler }).pipe(map((s) => [s.step, s.examples, firsts(s)]));
      expectObservable(out).toBe('-x-y-(z|)', { x: [1, 2, [1, 2]], y: [2, 4, [3, 4]], z: [3, 5, [5]] });
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
  });

  it('flushes a partial batch once its oldest example waited maxWaitMs (marbles)', () => {
    marbles().run(({ cold, expectObservable }) => {
      // a at 0 → flushed at 3; b at 6 → flushed at 9; complete at 17
      const src = cold('a 5ms b 10ms |', values);
      const out = fromExamples(src, { batchSize: 10, maxWaitMs: 3, scheduler: asyncScheduler }).pipe(map((s) => [firsts(s), s.online?.ingest?.lag]));
      // lag is read after the batch was taken: the queue is empty, so 0
      expectObservable(out).toBe('3ms x 5ms y 7ms |', { x: [[1], 0], y: [[2], 0] });
    });
  });

  it('emits a full queue smaller than batchSize as a batch, so a blocked producer never waits forever (marbles)', () => {
    marbles().run(({ cold, expectObservable }) => {
      const src = cold('abcd|', values);
      const out = fromExamples(src, { batchSize: 5, queue: { capacity: 2 }, scheduler: asyncScheduler }).pipe(map((s) => [firsts(s), s.online?.ingest?.dropped]));
      expectObservable(out).toBe('-x-y|', { x: [[1, 2], 0], y: [[3, 4], 0] });
    });
  });

  it('rejects bad examples with counted reasons in every step while the run continues (marbles)', () => {
    marbles().run(({ cold, expectObservable }) => {
      const src = cold('anbwcs|', values);
      const out = fromExamples(src, { batchSize: 2, scheduler: asyncScheduler }).pipe(map((s) => ({ x: firsts(s), ...s.online?.ingest })));
      expectObservable(out).toBe('--x---(y|)', {
        x: { x: [1, 2], received: 3, queued: 0, trained: 2, dropped: 0, rejected: 1, lastReason: 'Expected `x[1]` a finite number, got NaN', lag: 0 },
        y: { x: [3], received: 6, queued: 0, trained: 3, dropped: 0, rejected: 3, lastReason: 'Expected `x[0]` a finite number, got "1"', lag: 0 },
      });
    });
  });

  it('passes errors on at once and unsubscribes the input (marbles)', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('ab-c#', values);
      expectObservable(fromExamples(src, { batchSize: 2, scheduler: asyncScheduler }).pipe(map(firsts))).toBe('-x--#', { x: [1, 2] });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
  });

  it('stops its input on early unsubscribe and after take (marbles)', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('abcdabcd|', values);
      expectObservable(fromExamples(src, { batchSize: 1, scheduler: asyncScheduler }).pipe(map(firsts)), '^--!').toBe('xyz', { x: [1], y: [2], z: [3] });
      expectSubscriptions(src.subscriptions).toBe('^--!');
      const src2 = cold('abcd|', values);
      expectObservable(fromExamples(src2, { batchSize: 1, scheduler: asyncScheduler }).pipe(map(firsts), take(2))).toBe('x(y|)', { x: [1], y: [2] });
      expectSubscriptions(src2.subscriptions).toBe('^!');
    });
  });

  it('holds steps while paused, its queue policy applying meanwhile (marbles)', () => {
    marbles().run(({ cold, hot, expectObservable }) => {
      const paused = hot('t------f', { t: true, f: false });
      const src = cold('abcde|', values);
      // capacity 3 with dropOldest: d and e push out a and b while paused
      const out = fromExamples(src, { batchSize: 2, paused, queue: { capacity: 3, policy: 'dropOldest' }, scheduler: asyncScheduler }).pipe(
        map((s) => [firsts(s), s.online?.ingest?.dropped, s.online?.ingest?.lag]),
      );
      // resumed at 7: c arrived at 2 → lag of the queued e (arrived at 4) is 3 after taking c, d
      expectObservable(out).toBe('7ms (xy|)', { x: [[3, 4], 2, 3], y: [[5], 2, 0] });
    });
  });

  it('with `block`, drops what an unpausable Observable sends to a full queue (counted)', () => {
    marbles().run(({ cold, hot, expectObservable }) => {
      const paused = hot('t----f', { t: true, f: false });
      const src = cold('abcd|', values);
      const out = fromExamples(src, { batchSize: 5, paused, queue: { capacity: 2 }, scheduler: asyncScheduler }).pipe(map((s) => [firsts(s), s.online?.ingest]));
      expectObservable(out).toBe('5ms (x|)', { x: [[1, 2], { received: 4, queued: 0, trained: 2, dropped: 2, rejected: 0, lag: 0 }] });
    });
  });

  it('registers its position and continues a resumed run after it', async () => {
    const run1 = await lastValueFrom(fromExamples(asArray([1, 2, 3]), { batchSize: 2 }).pipe(toArray()));
    expect(run1.map((s) => [s.step, s.examples])).toEqual([[1, 2], [2, 3]]);
    const state = run1[1].scope!.save();
    expect(state.source).toEqual({ step: 2, examples: 3, ingest: { received: 3, dropped: 0, rejected: 0 } });
    const run2 = await lastValueFrom(fromExamples(asArray([4, 5]), { batchSize: 2, resume: { state } }).pipe(toArray()));
    expect(run2.map((s) => [s.step, s.examples, firsts(s)])).toEqual([[3, 5, [4, 5]]]);
    expect(run2[0].scope).not.toBe(run1[0].scope);
    await expect(lastValueFrom(fromExamples(asArray([1]), { batchSize: 1, resume: { state: { source: { step: -1, examples: 0 } } } }))).rejects.toThrow(
      'Expected `resume.state.source.step` an integer ≥ 0, got -1',
    );
  });

  it('keeps memory bounded under a producer 100× faster than training, for every policy', async () => {
    for (const policy of ['dropOldest', 'dropNewest', 'sample', 'block'] as const) {
      const capacity = 500;
      // The producer: 5,000 examples per event-loop turn, for 80 turns (400,000 in all).
      const producer = new Observable<unknown>((o) => {
        let turns = 0;
        let handle: NodeJS.Immediate;
        const tick = () => {
          for (let i = 0; i < 5000; i++) o.next({ x: [i, 1, 2, 3], y: i & 1 });
          if (++turns === 80) o.complete();
          else handle = setImmediate(tick);
        };
        handle = setImmediate(tick);
        return () => clearImmediate(handle);
      });
      const heap0 = process.memoryUsage().heapUsed;
      let maxQueued = 0;
      let last: Step<ExampleBatch> | undefined;
      await new Promise<void>((resolve, reject) =>
        fromExamples(producer, { batchSize: 10, queue: { capacity, policy } }).subscribe({
          next: (s) => {
            // training: 1 ms per step of 10 examples (10,000 examples/s)
            const until = performance.now() + 1;
            while (performance.now() < until);
            const c = s.online!.ingest!;
            maxQueued = Math.max(maxQueued, c.queued);
            expect(c.received).toBe(c.queued + c.trained + c.dropped + c.rejected);
            last = s;
          },
          error: reject,
          complete: resolve,
        }),
      );
      const c = last!.online!.ingest!;
      expect(maxQueued).toBeLessThanOrEqual(capacity);
      expect(c.received).toBe(400_000);
      expect(c.received).toBeGreaterThanOrEqual(100 * (c.trained - capacity));
      expect(c.dropped).toBe(c.received - c.trained);
      expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 * 2 ** 20);
    }
  });

  it('leaves no tensor behind after complete, error and early unsubscribe', async () => {
    await expectNoLeak(async () => {
      await lastValueFrom(fromExamples(asArray([1, 2, 3]), { batchSize: 2 }).pipe(toArray()));
      await lastValueFrom(fromExamples(new Observable((o) => o.error(new Error('boom'))), { batchSize: 2 })).catch(() => undefined);
      await lastValueFrom(fromExamples(asArray([1, 2, 3, 4]), { batchSize: 1 }).pipe(take(1)));
    });
  });

  it('rejects bad options naming the field', () => {
    const src = asArray([1]);
    expect(() => fromExamples(src, { batchSize: 0 })).toThrow('Expected `batchSize` an integer ≥ 1, got 0');
    expect(() => fromExamples(src, { batchSize: 1, maxWaitMs: -1 })).toThrow('Expected `maxWaitMs` ≥ 0, got -1');
    expect(() => fromExamples(src, { batchSize: 1, queue: { capacity: 0 } })).toThrow('Expected `queue.capacity` an integer ≥ 1, got 0');
    expect(() => fromExamples(src, { batchSize: 1, queue: { policy: 'x' as never } })).toThrow('Expected `queue.policy` one of block, dropOldest, dropNewest, sample, got "x"');
    // the sample policy's PRNG (mulberry32) would take the seed modulo 2^32: 2^32 + 7 would be 7
    for (const seed of [2 ** 32 + 7, 1e300, -1, 0.5]) expect(() => fromExamples(src, { batchSize: 1, queue: { seed } })).toThrow(`Expected \`queue.seed\` an integer in [0, 2^32), got ${seed}`);
  });

  it('serves the paused flag from a BehaviorSubject in real time', async () => {
    const paused = new BehaviorSubject(true);
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => fromExamples(asArray([1, 2, 3]), { batchSize: 1, paused }).subscribe({ next: (s) => seen.push(s.step), complete: resolve }));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    paused.next(false);
    await done;
    expect(seen).toEqual([1, 2, 3]);
  });
});

function asArray(vs: number[]): Observable<unknown> {
  return new Observable((o) => {
    vs.forEach((v) => o.next(ex(v)));
    o.complete();
  });
}
