import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { csv } from '../../../streams/sources/csv';
import { ndjson } from '../../../streams/sources/ndjson';
import type { Step } from '../../../streams/Step';

const dir = mkdtempSync(join(tmpdir(), 'rxgrad-readable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const firsts = (steps: Step<ExampleBatch>[]) => steps.flatMap((s) => Array.from({ length: s.batch.n }, (_, i) => s.batch.x[i * s.batch.d]));

describe('ndjson and csv from a file opened per subscription, resumed', () => {
  it('ndjson: the opener gets the byte offset after the last line trained; the resumed run neither loses nor repeats a line', async () => {
    const file = join(dir, 'a.ndjson');
    // 10 lines, the 4th malformed: 9 examples
    const lines = Array.from({ length: 10 }, (_, i) => (i === 3 ? '{"x":[3,\n' : `{"x":[${i},1],"y":${i % 2}}\n`));
    writeFileSync(file, lines.join(''));
    const open = (start: number) => createReadStream(file, { start });
    const whole = await lastValueFrom(ndjson(open, { batchSize: 2 }).pipe(toArray()));
    const first = await lastValueFrom(ndjson(open, { batchSize: 2 }).pipe(take(2), toArray()));
    // steps 1, 2: lines 0, 1, 2, 4 (line 3 rejected): the position is the byte after line 4
    const state = JSON.parse(JSON.stringify(first[1].scope!.save()));
    expect(state.source.position).toBe(lines.slice(0, 5).join('').length);
    const starts: number[] = [];
    const rest = await lastValueFrom(ndjson((start) => (starts.push(start), open(start)), { batchSize: 2, resume: { state } }).pipe(toArray()));
    expect(starts).toEqual([lines.slice(0, 5).join('').length]);
    expect([...firsts(first), ...firsts(rest)]).toEqual(firsts(whole));
    expect(firsts(whole)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(rest.at(-1)!.online!.ingest).toEqual(whole.at(-1)!.online!.ingest);
    expect(rest.map((s) => s.step)).toEqual([3, 4, 5]);
  });

  it('csv: resumed past the header with the column names given; without them the run fails saying so', async () => {
    const file = join(dir, 'a.csv');
    const rows = ['a,b,y\n', ...Array.from({ length: 6 }, (_, i) => `${i},${i + 0.5},${i % 2}\n`)];
    writeFileSync(file, rows.join(''));
    const open = (start: number) => createReadStream(file, { start });
    const first = await lastValueFrom(csv(open, { batchSize: 2 }).pipe(take(1)));
    const state = first.scope!.save();
    expect((state.source as { position: number }).position).toBe(rows.slice(0, 3).join('').length);
    const rest = await lastValueFrom(csv(open, { batchSize: 2, header: ['a', 'b', 'y'], resume: { state } }).pipe(toArray()));
    expect(firsts(rest)).toEqual([2, 3, 4, 5]);
    await expect(lastValueFrom(csv(open, { batchSize: 2, resume: { state } }))).rejects.toThrow(
      `Expected \`header\` the column names (a CSV resumed at byte ${rows.slice(0, 3).join('').length} has no header line left to read), got true`,
    );
  });

  it('a readable given as is (stdin, a socket) records no position and is read from where it is', async () => {
    const s = await lastValueFrom(ndjson(Readable.from(['{"x":[1],"y":0}\n']), { batchSize: 1 }));
    expect(s.scope!.save().source).toEqual({ step: 1, examples: 1, ingest: { received: 1, dropped: 0, rejected: 0 } });
  });
});
