import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asyncScheduler, lastValueFrom, map, take, type Subscription } from 'rxjs';
import { tail } from '../../../streams/sources/tail';
import type { Step } from '../../../streams/Step';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { expectNoLeak, marbles } from '../../helpers';

const dir = mkdtempSync(join(tmpdir(), 'rxgrad-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = () => join(dir, `f${++files}.ndjson`);
const line = (v: number) => `{"x":[${v},1],"y":${v % 2}}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join('');
const firsts = (s: Step<ExampleBatch>) => Array.from({ length: s.batch.n }, (_, i) => s.batch.x[i * s.batch.d]);

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Subscribe and collect the first feature of every example, and the last step. */
function follow(path: string, options: Parameters<typeof tail>[1]) {
  const seen: number[] = [];
  const state: { last?: Step<ExampleBatch>; error?: Error; sub?: Subscription } = {};
  state.sub = tail(path, options).subscribe({
    next: (s) => {
      seen.push(...firsts(s));
      state.last = s;
    },
    error: (e) => (state.error = e),
  });
  return { seen, state };
}

describe('tail', () => {
  it('polls every pollMs and batches what it read; appends, errors and unsubscribe (marbles, virtual time)', () => {
    const path = fresh();
    writeFileSync(path, lines(0, 3));
    const badHeader = fresh();
    writeFileSync(badHeader, 'a,b\n1,2\n');
    marbles().run(({ cold, expectObservable }) => {
      // polls at 0, 10, 20 …: rows 0–2 read at 0 ([0, 1] at once, [2] after maxWaitMs 5);
      // rows 3–4 appended at 12 are read by the poll at 20
      cold('------------a').subscribe(() => appendFileSync(path, lines(3, 5)));
      const out = tail(path, { batchSize: 2, maxWaitMs: 5, pollMs: 10, scheduler: asyncScheduler }).pipe(map(firsts));
      expectObservable(out, '^------------------------!').toBe('x----y--------------z', { x: [0, 1], y: [2], z: [3, 4] });
      // a CSV header that cannot be read fails the stream at the first poll
      expectObservable(tail(badHeader, { format: 'csv', header: true, columns: { label: 'y' }, batchSize: 1, scheduler: asyncScheduler })).toBe(
        '#',
        undefined,
        new Error('CSV header: Expected `label` a column of the header (a, b), got "y"'),
      );
    });
  });

  it('follows appended lines, taking a line only once its newline is written', async () => {
    const path = fresh();
    writeFileSync(path, lines(0, 3));
    const { seen, state } = follow(path, { batchSize: 1, pollMs: 10 });
    await until(() => seen.length === 3);
    appendFileSync(path, lines(3, 5) + '{"x":[5,');
    await until(() => seen.length === 5);
    await new Promise((r) => setTimeout(r, 40));
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    appendFileSync(path, '1],"y":1}\n');
    await until(() => seen.length === 6);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(state.last!.online!.ingest).toMatchObject({ received: 6, trained: 6, rejected: 0 });
    state.sub!.unsubscribe();
  });

  it('waits for a missing file, and starts at the end with from: end', async () => {
    const path = fresh();
    const { seen, state } = follow(path, { batchSize: 1, pollMs: 10 });
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(path, lines(0, 2));
    await until(() => seen.length === 2);
    state.sub!.unsubscribe();
    const atEnd = follow(path, { batchSize: 1, pollMs: 10, from: 'end' });
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(path, line(7));
    await until(() => atEnd.seen.length === 1);
    expect(atEnd.seen).toEqual([7]);
    atEnd.state.sub!.unsubscribe();
  });

  it('starts again at the beginning of a truncated file', async () => {
    const path = fresh();
    writeFileSync(path, lines(0, 4));
    const { seen, state } = follow(path, { batchSize: 1, pollMs: 10 });
    await until(() => seen.length === 4);
    truncateSync(path, 0);
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(path, lines(10, 12));
    await until(() => seen.length === 6);
    expect(seen).toEqual([0, 1, 2, 3, 10, 11]);
    // the position is now the offset in the new content: two lines of 17 bytes
    expect(state.last!.scope!.save().source).toEqual({ step: 6, examples: 6, position: 2 * line(10).length, ingest: { received: 6, dropped: 0, rejected: 0 } });
    state.sub!.unsubscribe();
  });

  it('reads a rotated file to its end (last line even without a newline), then the new one', async () => {
    const path = fresh();
    writeFileSync(path, lines(0, 2));
    const { seen, state } = follow(path, { batchSize: 1, pollMs: 10 });
    await until(() => seen.length === 2);
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, line(2) + line(3).trimEnd()); // the writer still had the old file open
    writeFileSync(path, lines(20, 22));
    await until(() => seen.length === 6);
    expect(seen).toEqual([0, 1, 2, 3, 20, 21]);
    state.sub!.unsubscribe();
  });

  it('a resumed run continues exactly after the last line handed to training (NDJSON and CSV)', async () => {
    const path = fresh();
    writeFileSync(path, lines(0, 5));
    const first = await lastValueFrom(tail(path, { batchSize: 2, pollMs: 10 }).pipe(take(1)));
    const state = first.scope!.save();
    expect(state.source).toEqual({ step: 1, examples: 2, position: 2 * line(0).length, ingest: { received: 2, dropped: 0, rejected: 0 } });
    appendFileSync(path, lines(5, 7));
    const { seen, state: s2 } = follow(path, { batchSize: 1, pollMs: 10, resume: { state } });
    await until(() => seen.length === 5);
    expect(seen).toEqual([2, 3, 4, 5, 6]);
    expect(s2.last!.step).toBe(6);
    expect(s2.last!.examples).toBe(7);
    s2.sub!.unsubscribe();

    const csvPath = fresh();
    writeFileSync(csvPath, 'a,b,y\n1,1,0\n2,1,1\n3,1,0\n');
    const c1 = await lastValueFrom(tail(csvPath, { format: 'csv', batchSize: 1, pollMs: 10 }).pipe(take(2)));
    const c2 = await lastValueFrom(tail(csvPath, { format: 'csv', batchSize: 5, maxWaitMs: 5, pollMs: 10, resume: { state: c1.scope!.save() } }).pipe(take(1)));
    expect(firsts(c2)).toEqual([3]);
  });

  it('with `block`, stops reading while the queue is full and loses no line', async () => {
    const path = fresh();
    writeFileSync(path, lines(0, 3000));
    const got: number[] = [];
    let maxQueued = 0;
    const sub = tail(path, { batchSize: 10, queue: { capacity: 50 }, pollMs: 10 }).subscribe((s) => {
      maxQueued = Math.max(maxQueued, s.online!.ingest!.queued);
      got.push(...firsts(s));
    });
    await until(() => got.length === 3000);
    sub.unsubscribe();
    expect(maxQueued).toBeLessThanOrEqual(50);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('rejects bad lines with counted reasons and goes on', async () => {
    const path = fresh();
    writeFileSync(path, [line(1), '{"x":[1,\n', `{"x":[${'1,'.repeat(100)}1]}\n`, '{"x":[1,"a"]}\n', '{"x":[1]}\n', line(2)].join(''));
    const { seen, state } = follow(path, { batchSize: 1, pollMs: 10, maxLineBytes: 100 });
    await until(() => seen.length === 2);
    expect(state.last!.online!.ingest).toMatchObject({ received: 6, trained: 2, rejected: 4, lastReason: 'Expected `x` 2 features, got 1' });
    state.sub!.unsubscribe();
  });

  it('leaves no tensor (and no timer, watcher or open file) behind after unsubscribe and error', async () => {
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
    await new Promise((r) => setTimeout(r, 20));
    const before = resources();
    await expectNoLeak(async () => {
      const path = fresh();
      writeFileSync(path, lines(0, 3));
      await lastValueFrom(tail(path, { batchSize: 1, pollMs: 10 }).pipe(take(2)));
      const csvPath = fresh();
      writeFileSync(csvPath, 'a,a\n1,2\n');
      await expect(lastValueFrom(tail(csvPath, { format: 'csv', batchSize: 1, pollMs: 10 }))).rejects.toThrow('CSV header');
    });
    await new Promise((r) => setTimeout(r, 20));
    // nothing of ours is left: no kind of resource (Timeout, FSEventWrap, FileHandle …) grew
    const count = (rs: string[], kind: string) => rs.filter((r) => r === kind).length;
    const after = resources();
    for (const kind of new Set(after)) expect(`${kind} ${count(after, kind)}`).toBe(`${kind} ${Math.min(count(after, kind), count(before, kind))}`);
    expect(() => tail('', { batchSize: 1 })).toThrow('Expected `path` a file path, got ""');
    expect(() => tail('x', { batchSize: 1, from: 'middle' as never })).toThrow("Expected `from` 'start' or 'end', got \"middle\"");
  });
});
