import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAfterCheckpoint, newestIn } from './killAfterCheckpoint';
import { launchRun } from './launchRun';
import { mulberry32 } from '../../streams/sources/mulberry32';

const root = fileURLToPath(new URL('../..', import.meta.url));
// sigkillRun.ts bundled once by esbuild (as `npm start` does) and run by plain node: one process
// per run (so SIGKILL reaches the run itself), started in a third of tsx's time. The bundle is
// written inside the project (tmp/, git-ignored) so its packages, left external, resolve from the
// project's node_modules, and `rxgrad/data/…` from the project itself.
const bundle = join(root, 'tmp', `sigkill-${process.pid}`, 'sigkillRun.mjs');
const ROWS = 2400;
const dirs: string[] = [];
beforeAll(async () => {
  await build({ entryPoints: [fileURLToPath(new URL('./sigkillRun.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' });
});
afterAll(() => [...dirs, dirname(bundle)].forEach((d) => rmSync(d, { recursive: true, force: true })));

/** One run of sigkillRun.ts as a real process. */
const launch = (dir: string, optimizer: string) => launchRun(bundle, [dir, optimizer, String(ROWS)], root);

/** The JSON line a run prints at the end. */
function finalLine(stdout: string): string {
  const lines = stdout.trim().split('\n');
  return lines[lines.length - 1];
}

describe('kill -9 and resume (real processes)', () => {
  it.each([
    ['adam', 5, 11],
    ['sgd', 3, 12],
  ])('%s: killed with SIGKILL at random moments %i times and resumed, the final parameters and metrics equal an uninterrupted run bit for bit', async (optimizer, kills, seed) => {
    // The uninterrupted run, and how long its training took (from `started` to exit).
    const refDir = mkdtempSync(join(tmpdir(), 'rxgrad-sigkill-ref-'));
    dirs.push(refDir);
    const ref = launch(refDir, optimizer);
    const [t0, refExit] = await Promise.all([ref.started, ref.exited]);
    expect(refExit.code, ref.stderr()).toBe(0);
    const expected = finalLine(ref.stdout());
    const training = refExit.at - t0;

    // The same run killed at seeded random moments during training, resumed each time.
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-sigkill-'));
    dirs.push(dir);
    const rand = mulberry32(seed);
    const stepsAtKill: number[] = [];
    let killed = 0;
    for (let attempt = 0; attempt < kills; attempt++) {
      const run = launch(dir, optimizer);
      await run.started;
      // Killed once it has saved a checkpoint of its own, then 0–5 % of the uninterrupted training
      // later (about 1.5 checkpoints): every run makes progress, and all of them together stay well
      // short of the end (30 checkpoints).
      const { exit, step } = await killAfterCheckpoint(run, newestIn(dir), stepsAtKill.at(-1) ?? 0, 0.05 * rand() * training);
      if (exit.signal === 'SIGKILL') killed++;
      else expect(exit.code, run.stderr()).toBe(0);
      stepsAtKill.push(step);
      console.log(`${optimizer}: run ${attempt + 1} ${exit.signal ?? 'finished'}; newest checkpoint at step ${step}`);
    }
    const last = launch(dir, optimizer);
    const exit = await last.exited;
    expect(exit.code, last.stderr()).toBe(0);

    expect(finalLine(last.stdout())).toBe(expected);
    const result = JSON.parse(expected);
    expect(result.examples).toBe(ROWS);
    // the kills really cut the run: most of them mid-training, and the last run resumed from a checkpoint
    expect(killed).toBeGreaterThanOrEqual(kills - 1);
    expect(last.stderr()).toMatch(/resumed from .*checkpoint-\d+\.json \(step \d+, \d+ examples\)/);
    expect(stepsAtKill.at(-1)).toBeGreaterThan(0);
  });
});
