import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { asyncScheduler, lastValueFrom, map, take, toArray } from 'rxjs';
import { ndjson } from '../../../streams/sources/ndjson';
import { csv } from '../../../streams/sources/csv';
import type { Step } from '../../../streams/Step';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { expectNoLeak, marbles } from '../../helpers';
import { fakeReadable } from './fakeReadable';

const firsts = (s: Step<ExampleBatch>) => Array.from({ length: s.batch.n }, (_, i) => s.batch.x[i * s.batch.d]);
const line = (v: number) => `{"x":[${v},${v + 0.5}],"y":${v % 2},"id":"r${v}"}\n`;

describe('ndjson', () => {
  it('reads lines split anywhere across chunks, in order, with labels and ids', async () => {
    const text = [1, 2, 3, 4, 5].map(line).join('');
    const chunks = [text.slice(0, 7), text.slice(7, 40), text.slice(40)];
    const steps = await lastValueFrom(ndjson(Readable.from(chunks), { batchSize: 2 }).pipe(toArray()));
    expect(steps.map(firsts)).toEqual([[1, 2], [3, 4], [5]]);
    expect(Array.from(steps[0].batch.x)).toEqual([1, 1.5, 2, 2.5]);
    expect(Array.from(steps[0].batch.y)).toEqual([1, 0]);
    expect(steps[2].batch.ids).toEqual(['r5']);
    expect(steps[2].online?.ingest).toMatchObject({ received: 5, trained: 5, rejected: 0 });
  });

  it('rejects malformed JSON, oversize lines, NaN, wrong width and non-numbers with counted reasons; the run continues', async () => {
    const bad = [
      line(1),
      '{"x":[1,\n', // malformed JSON
      `{"x":[${'1,'.repeat(200)}1]}\n`, // oversize (over 256 bytes)
      '{"x":[NaN,1]}\n', // NaN is not JSON
      '{"x":[1,null]}\n', // a null feature
      '{"x":[1,2,3]}\n', // wrong width
      '{"x":["1",2]}\n', // non-numeric
      line(2),
    ];
    const reasons: string[] = [];
    const steps = await lastValueFrom(
      ndjson(Readable.from(bad), { batchSize: 1, maxLineBytes: 256 }).pipe(toArray()),
    );
    for (const s of steps) reasons.push(s.online!.ingest!.lastReason ?? '');
    expect(steps.map(firsts)).toEqual([[1], [2]]);
    expect(steps[1].online?.ingest).toEqual({
      received: 8,
      queued: 0,
      trained: 2,
      dropped: 0,
      rejected: 6,
      lastReason: 'Expected `x[0]` a finite number, got "1"',
      lag: 0,
    });
    // each reason, one at a time
    const one = async (l: string) => (await lastValueFrom(ndjson(Readable.from([line(1), l]), { batchSize: 2, maxLineBytes: 256 }))).online!.ingest!.lastReason;
    expect(await one('{"x":[1,\n')).toBe('Expected `line` JSON, got "{\\"x\\":[1,"');
    expect(await one(`{"x":[${'1,'.repeat(200)}1]}\n`)).toBe('Expected `line` of ≤ 256 bytes, got 409 bytes');
    expect(await one('{"x":[NaN,1]}\n')).toBe('Expected `line` JSON, got "{\\"x\\":[NaN,1]}"');
    expect(await one('{"x":[1,null]}\n')).toBe('Expected `x[1]` a finite number, got null');
    expect(await one('{"x":[1,2,3]}\n')).toBe('Expected `x` 2 features, got 3');
  });

  it('emits, completes and errors with its readable (marbles)', () => {
    marbles().run(({ cold, expectObservable }) => {
      const r = fakeReadable(cold('a-b-c|', { a: line(1), b: line(2) + line(3).slice(0, 5), c: line(3).slice(5) }));
      expectObservable(ndjson(r, { batchSize: 2, scheduler: asyncScheduler }).pipe(map(firsts))).toBe('--x--(y|)', { x: [1, 2], y: [3] });
      const e = fakeReadable(cold('a-#', { a: line(1) }));
      expectObservable(ndjson(e, { batchSize: 2, scheduler: asyncScheduler }).pipe(map(firsts))).toBe('--#');
    });
  });

  it('detaches on early unsubscribe: pauses a readable given as is, destroys one it opened (marbles)', () => {
    marbles().run(({ cold, expectObservable, flush }) => {
      const given = fakeReadable(cold('abc|', { a: line(1), b: line(2), c: line(3) }));
      expectObservable(ndjson(given, { batchSize: 1, scheduler: asyncScheduler }).pipe(map(firsts)), '^-!').toBe('xy', { x: [1], y: [2] });
      const opened = fakeReadable(cold('abc|', { a: line(1), b: line(2), c: line(3) }));
      expectObservable(ndjson(() => opened, { batchSize: 1, scheduler: asyncScheduler }).pipe(map(firsts), take(1))).toBe('(x|)', { x: [1] });
      flush();
      expect(given.log).toEqual(['pause']);
      expect(given.listenerCount('data')).toBe(0);
      expect(opened.log).toEqual(['destroy']);
    });
  });

  it('with `block`, pauses a fast writer while the queue is full: nothing dropped, everything in order', async () => {
    const stream = new PassThrough({ highWaterMark: 1024 });
    let writes = 0;
    let pausedSeen = false;
    // The writer: 5,000 lines as fast as the stream accepts them.
    const write = async () => {
      for (let i = 0; i < 5000; i++) {
        if (!stream.write(line(i))) await new Promise((r) => stream.once('drain', r));
        writes++;
      }
      stream.end();
    };
    const got: number[] = [];
    let maxQueued = 0;
    const done = lastValueFrom(
      ndjson(stream, { batchSize: 10, queue: { capacity: 100, policy: 'block' } }).pipe(
        map((s) => {
          if (stream.isPaused()) pausedSeen = true;
          // slow training: 0.2 ms per step
          const until = performance.now() + 0.2;
          while (performance.now() < until);
          maxQueued = Math.max(maxQueued, s.online!.ingest!.queued);
          got.push(...firsts(s));
          return s.online!.ingest!;
        }),
        toArray(),
      ),
    );
    await write();
    const counters = await done;
    expect(writes).toBe(5000);
    expect(pausedSeen).toBe(true);
    expect(maxQueued).toBeLessThanOrEqual(100);
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(counters.at(-1)).toEqual({ received: 5000, queued: 0, trained: 5000, dropped: 0, rejected: 0, lag: 0 });
  });

  it('leaves no tensor behind after complete, error and early unsubscribe', async () => {
    await expectNoLeak(async () => {
      await lastValueFrom(ndjson(Readable.from([line(1)]), { batchSize: 2 }));
      const failing = new PassThrough();
      const p = lastValueFrom(ndjson(failing, { batchSize: 2 })).catch((e: Error) => e.message);
      failing.destroy(new Error('socket reset'));
      expect(await p).toBe('socket reset');
      await lastValueFrom(ndjson(() => Readable.from([line(1), line(2)]), { batchSize: 1 }).pipe(take(1)));
    });
  });
});

describe('csv', () => {
  it('reads rows under a header, rejecting bad rows with the column named', async () => {
    const rows = ['feat_1,feat_2,target\n', '0.5,0.25,1\n', '0.5,abc,0\n', '0.5,NaN,0\n', '1,2\n', '0.75,0.5,\n', '1,1,0'];
    const steps = await lastValueFrom(csv(Readable.from(rows), { header: true, batchSize: 10 }).pipe(toArray()));
    expect(steps).toHaveLength(1);
    const s = steps[0];
    expect(Array.from(s.batch.x)).toEqual([0.5, 0.25, 0.75, 0.5, 1, 1]);
    expect(Array.from(s.batch.y)).toEqual([1, NaN, 0]);
    expect(s.online?.ingest).toEqual({ received: 6, queued: 0, trained: 3, dropped: 0, rejected: 3, lastReason: 'Expected `row` 3 cells (as the header), got 2', lag: 0 });
  });

  it('reads the header first, then emits, completes and errors with its readable (marbles)', () => {
    marbles().run(({ cold, expectObservable }) => {
      const r = fakeReadable(cold('h-a-b|', { h: 'a,b,y\n', a: '1,2,0\n3,', b: 'x,1\n5,6,1' }));
      const out = csv(r, { batchSize: 2, scheduler: asyncScheduler }).pipe(map((s) => [firsts(s), s.online!.ingest!.rejected]));
      // "3,x,1" is rejected (column b); the last row has no newline and is read at the end
      expectObservable(out).toBe('-----(x|)', { x: [[1, 5], 1] });
      const e = fakeReadable(cold('h-#', { h: 'a,y\n' }));
      expectObservable(csv(e, { batchSize: 1, scheduler: asyncScheduler })).toBe('--#');
    });
  });

  it('takes column names instead of a header line, and errors on a bad header', async () => {
    const s = await lastValueFrom(csv(Readable.from(['1,2,k\n']), { header: ['a', 'y', 'key'], columns: { label: 'y', id: 'key' }, batchSize: 1 }));
    expect([Array.from(s.batch.x), Array.from(s.batch.y), s.batch.ids]).toEqual([[1], [2], ['k']]);
    await expect(lastValueFrom(csv(Readable.from(['a,a\n', '1,2\n']), { batchSize: 1 }))).rejects.toThrow('CSV header: Expected `header` distinct, non-empty column names, got "a,a"');
  });
});
