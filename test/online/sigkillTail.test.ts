import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAfterCheckpoint, newestIn } from './killAfterCheckpoint';
import { launchRun } from './launchRun';
import { listCheckpoints } from '../../streams/checkpointFile';
import { elec2 } from '../../streams/sources/elec2';
import { mulberry32 } from '../../streams/sources/mulberry32';

// As test/online/sigkill.test.ts, with the user's own NDJSON stream instead of replay: a file
// followed by `tail`, resumed at the byte after the last line trained. sigkillTailRun.ts is
// bundled by esbuild into tmp/ (git-ignored) and run by plain node, one process per run.
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'tmp', `sigkill-tail-${process.pid}`, 'sigkillTailRun.mjs');
const ROWS = 2000;
const work = mkdtempSync(join(tmpdir(), 'rxgrad-sigkill-tail-'));
const file = join(work, 'elec2.ndjson');
beforeAll(async () => {
  await build({ entryPoints: [fileURLToPath(new URL('./sigkillTailRun.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' });
  // The first ROWS rows of Elec2 as NDJSON, with a malformed line after every 97th row and a
  // row of the wrong width after every 151st (rejected, counted): what a real producer writes.
  const t = elec2();
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    lines.push(JSON.stringify({ x: Array.from(t.xs.subarray(i * t.d, (i + 1) * t.d)), y: t.ys[i] }));
    if (i % 97 === 96) lines.push('{"x":[0.1,');
    if (i % 151 === 150) lines.push('{"x":[1,2,3],"y":1}');
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
});
afterAll(() => [work, dirname(bundle)].forEach((d) => rmSync(d, { recursive: true, force: true })));

const launch = (dir: string) => launchRun(bundle, [file, dir, String(ROWS)], root);
const finalLine = (stdout: string) => stdout.trim().split('\n').at(-1)!;

describe('kill -9 and resume a run following an NDJSON file (real processes)', () => {
  it('killed with SIGKILL at random moments 4 times and resumed: parameters, metrics, baselines and ingest counters equal an uninterrupted run', async () => {
    const refDir = join(work, 'ref');
    const ref = launch(refDir);
    const [t0, refExit] = await Promise.all([ref.started, ref.exited]);
    expect(refExit.code, ref.stderr()).toBe(0);
    const expected = finalLine(ref.stdout());
    const training = refExit.at - t0;
    const result = JSON.parse(expected);
    // by hand: 2000 rows; malformed lines after rows 97k − 1 (k = 1…20: 20 lines), wrong widths after 151k − 1 (k = 1…13: 13 lines)
    expect(result.examples).toBe(ROWS);
    expect(result.ingest).toEqual({ received: 2033, queued: 0, trained: 2000, dropped: 0, rejected: 33, lastReason: expect.any(String), lag: 0 });

    const dir = join(work, 'killed');
    const rand = mulberry32(7);
    let killed = 0;
    let since = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const run = launch(dir);
      await run.started;
      // killed once it has saved a checkpoint of its own, then 0–5 % of the uninterrupted training later
      const { exit, step } = await killAfterCheckpoint(run, newestIn(dir), since, 0.05 * rand() * training);
      since = step;
      if (exit.signal === 'SIGKILL') killed++;
      else expect(exit.code, run.stderr()).toBe(0);
    }
    const last = launch(dir);
    const exit = await last.exited;
    expect(exit.code, last.stderr()).toBe(0);
    expect(finalLine(last.stdout())).toBe(expected);
    expect(killed).toBeGreaterThanOrEqual(3);
    expect(last.stderr()).toMatch(/resumed from .*checkpoint-\d+\.json \(step \d+, \d+ examples\)/);
    expect(listCheckpoints(dir).at(-1)!.step).toBeGreaterThan(0);
  });
});
