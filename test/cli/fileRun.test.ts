import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { fileRun } from '../../bin/fileRun';
import { RxgradError } from '../../src/RxgradError';
import type { StepResult } from '../../streams/Step';

const dir = mkdtempSync(join(tmpdir(), 'rxgrad-filerun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text?: string) => {
  const path = join(dir, `run-${(n += 1)}.jsonl`);
  if (text !== undefined) writeFileSync(path, text);
  return path;
};
const line = (step: number, extra: Record<string, unknown> = {}) => `${JSON.stringify({ step, loss: 1 / step, ...extra })}\n`;
const openFds = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `cond()` holds (checked every 5 ms; fails after 5 s). */
async function until(cond: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !cond(); await sleep(5)) if (Date.now() - t0 > 5000) throw new Error('condition not reached within 5 s');
}

describe('fileRun', () => {
  it('emits every line of the file in order and completes; blank lines are skipped, a last line without newline counts', async () => {
    const path = file(`${line(1)}\n${line(2)}   \n${line(3).trimEnd()}`);
    const steps = await lastValueFrom(fileRun(path).pipe(toArray()));
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
  });

  it('reads lines longer than its 64 KiB chunks, with a multi-byte character across the boundary', async () => {
    const pad = 'x'.repeat((1 << 16) - 12);
    const path = file(line(1, { pad, name: 'η=0.1 ✓' }) + line(2));
    const steps = (await lastValueFrom(fileRun(path).pipe(toArray()))) as (StepResult & { name?: string; pad?: string })[];
    expect(steps.map((s) => [s.step, s.name, s.pad?.length])).toEqual([[1, 'η=0.1 ✓', pad.length], [2, undefined, undefined]]);
  });

  it('errors with an RxgradError naming file:line on a line that is not a jsonl sink record', async () => {
    for (const [bad, shown] of [['not json', '"not json"'], ['[1,2]', '"[1,2]"'], ['{"loss":1}', '"{\\"loss\\":1}"'], ['{"step":"3"}', '"{\\"step\\":\\"3\\"}"']]) {
      const path = file(`${line(1)}\n${bad}\n${line(3)}`);
      const seen: number[] = [];
      const err = await lastValueFrom(fileRun(path)).catch((e: unknown) => e);
      fileRun(path).subscribe({ next: (s) => seen.push(s.step), error: () => undefined });
      expect(err).toBeInstanceOf(RxgradError);
      expect((err as Error).message).toBe(`Expected \`${path}:3\` a JSON object with a numeric \`step\` (a line of the jsonl sink), got ${shown}`);
      expect(seen).toEqual([1]);
    }
  });

  it('errors on a missing file (without follow), and rejects bad arguments at once', async () => {
    const path = join(dir, 'missing.jsonl');
    await expect(lastValueFrom(fileRun(path))).rejects.toThrow(`Expected \`file\` a readable jsonl file, got "${path}" (ENOENT`);
    expect(() => fileRun('')).toThrow(RxgradError);
    expect(() => fileRun(path, { pollMs: 0 })).toThrow('Expected `pollMs` an integer ≥ 1, got 0');
  });

  it('closes the file when the subscriber leaves early (take) and after completing', async () => {
    const path = file(line(1) + line(2) + line(3));
    const before = openFds();
    expect((await firstValueFrom(fileRun(path))).step).toBe(1);
    expect(await lastValueFrom(fileRun(path).pipe(take(2), toArray()))).toHaveLength(2);
    await lastValueFrom(fileRun(path));
    expect(openFds()).toBe(before);
  });

  it('with follow: waits for the file, emits lines as their newline arrives, completes when the file shrinks', async () => {
    const path = file();
    const got: number[] = [];
    let completed = false;
    const sub = fileRun(path, { follow: true, pollMs: 10 }).subscribe({ next: (s) => got.push(s.step), complete: () => (completed = true) });
    await sleep(50);
    writeFileSync(path, line(1) + line(2).slice(0, 5));
    await until(() => got.length === 1);
    await sleep(50); // several polls: the unfinished line stays unread
    expect(got).toEqual([1]);
    appendFileSync(path, line(2).slice(5) + line(3));
    await until(() => got.length === 3);
    expect(got).toEqual([1, 2, 3]);
    expect(completed).toBe(false);
    writeFileSync(path, line(1));
    await until(() => completed);
    expect(sub.closed).toBe(true);
  });

  it('with follow: unsubscribing stops the polling and closes the file', async () => {
    const path = file(line(1));
    const before = openFds();
    const got: number[] = [];
    const sub = fileRun(path, { follow: true, pollMs: 10 }).subscribe((s) => got.push(s.step));
    expect(got).toEqual([1]);
    sub.unsubscribe();
    expect(openFds()).toBe(before);
    appendFileSync(path, line(2));
    await sleep(50);
    expect(got).toEqual([1]);
  });
});
