import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { drive } from '../../streams/sources/drive';
import { jsonl } from '../../streams/sinks/jsonl';
import type { StepResult } from '../../streams/Step';
import { fakeResult } from './fakeResult';

const dir = mkdtempSync(join(tmpdir(), 'rxgrad-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const values = { a: fakeResult(1), b: fakeResult(2), c: fakeResult(3) };

describe('jsonl', () => {
  it('passes values through and has written every line when the stream completes', () => {
    const file = join(dir, 'complete.jsonl');
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<StepResult>('-a-b-c|', values);
      expectObservable(source.pipe(jsonl(file, { run: 'r1' }))).toBe('-a-b-c|', values);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
    expect(lines(file)).toEqual([1, 2, 3].map((s) => ({ run: 'r1', ...fakeResult(s) })));
  });

  it('passes an upstream error on, having written the lines before it', () => {
    const file = join(dir, 'error.jsonl');
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<StepResult>('-a-#', values, new Error('boom')).pipe(jsonl(file))).toBe('-a-#', values, new Error('boom'));
    });
    expect(lines(file)).toEqual([fakeResult(1)]);
  });

  it('flushes on early unsubscribe', () => {
    const file = join(dir, 'unsubscribe.jsonl');
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<StepResult>('-a-b-c|', values);
      expectObservable(source.pipe(jsonl(file)), '^--!').toBe('-a--', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(lines(file)).toEqual([fakeResult(1)]);
  });

  it('writes exactly n lines when a synchronous source is cut by take(n), NaN as null', () => {
    const file = join(dir, 'take.jsonl');
    let produced = 0;
    const source = drive(() => () => fakeResult(++produced, { lr: NaN }));
    const seen: number[] = [];
    source.pipe(jsonl(file), take(4)).subscribe((r) => seen.push(r.step));
    expect(seen).toEqual([1, 2, 3, 4]);
    // take(4) unsubscribes after the 4th value, so the source made 4 (drive checks `closed`).
    expect(produced).toBe(4);
    expect(lines(file).map((l) => [l.step, l.lr])).toEqual([[1, null], [2, null], [3, null], [4, null]]);
  });

  it('appends with `append`, and errors the stream for an unwritable path', () => {
    const file = join(dir, 'append.jsonl');
    const s = new Subject<StepResult>();
    s.pipe(jsonl(file)).subscribe();
    s.next(fakeResult(1));
    s.complete();
    const s2 = new Subject<StepResult>();
    s2.pipe(jsonl(file, { append: true })).subscribe();
    s2.next(fakeResult(2));
    s2.complete();
    expect(lines(file).map((l) => l.step)).toEqual([1, 2]);
    let error: Error | undefined;
    // A folder cannot be made under a file.
    new Subject<StepResult>().pipe(jsonl(join(file, 'x.jsonl'))).subscribe({ error: (e) => (error = e) });
    expect(error?.message).toMatch(/ENOTDIR|EEXIST/);
    expect(() => jsonl('')).toThrow('Expected `path` a file path, got ""');
  });

  it('creates a missing folder (with its parents) on subscribe', () => {
    const file = join(dir, 'runs', 'deep', 'x.jsonl');
    const s = new Subject<StepResult>();
    let error: Error | undefined;
    s.pipe(jsonl(file)).subscribe({ error: (e) => (error = e) });
    s.next(fakeResult(1));
    s.complete();
    expect(error).toBeUndefined();
    expect(lines(file)).toEqual([fakeResult(1)]);
  });

  it('writes the buffered lines every flushMs while the stream runs, not only at the end', async () => {
    const file = join(dir, 'periodic.jsonl');
    const s = new Subject<StepResult>();
    s.pipe(jsonl(file, { flushMs: 20 })).subscribe();
    s.next(fakeResult(1));
    s.next(fakeResult(2));
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((r) => setTimeout(r, 60));
    expect(lines(file).map((l) => l.step)).toEqual([1, 2]);
    s.complete();
  });
});
