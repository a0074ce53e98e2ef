import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsCheckpoints } from '../../streams/nats/natsCheckpoints';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { killAfterCheckpoint } from '../online/killAfterCheckpoint';
import { launchRun } from '../online/launchRun';
import { startNatsServer, type NatsServer } from './natsServer';

// checkpointMoveRun.ts bundled once by esbuild into tmp/ (git-ignored, so its external packages
// resolve from the project's node_modules) and run by plain node: one process per run, each in
// its own empty working directory — a fresh machine with nothing but the NATS server in common.
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'tmp', `checkpoint-move-${process.pid}`, 'checkpointMoveRun.mjs');
const ROWS = 12_000;
const machines: string[] = [];
let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
  await build({ entryPoints: [fileURLToPath(new URL('./checkpointMoveRun.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' });
}, 30_000);
afterAll(async () => {
  [...machines, dirname(bundle)].forEach((d) => rmSync(d, { recursive: true, force: true }));
  await server?.close();
});

/** A new empty working directory: another machine. */
function machine(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rxgrad-machine-'));
  machines.push(dir);
  return dir;
}
const launch = (key: string, cwd: string) => launchRun(bundle, [server.url, key, String(ROWS)], cwd);
const finalLine = (stdout: string) => stdout.trim().split('\n').at(-1)!;

describe('restart on another machine: checkpoints in NATS (real processes, SIGKILL)', () => {
  it('a trainer killed with SIGKILL and resumed in fresh processes with other working directories and no local file ends bit for bit as an uninterrupted run', async () => {
    // the uninterrupted run, and how long its training took
    const ref = launch('uninterrupted', machine());
    const [t0, refExit] = await Promise.all([ref.started, ref.exited]);
    expect(refExit.code, ref.stderr()).toBe(0);
    const expected = finalLine(ref.stdout());
    const training = refExit.at - t0;

    // the same run killed twice at seeded random moments during training, each time resumed on another "machine"
    const rand = mulberry32(21);
    const store = natsCheckpoints({ servers: server.url, key: 'moved' });
    const stepsAtKill: number[] = [];
    let killed = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = launch('moved', machine());
      await run.started;
      // killed at a seeded random moment once this run has made a newer checkpoint durable in NATS
      const newest = async () => (await store.list()).at(-1)?.step ?? 0;
      const { exit, step } = await killAfterCheckpoint(run, newest, stepsAtKill.at(-1) ?? 0, 0.2 * rand() * training, 10);
      if (exit.signal === 'SIGKILL') killed++;
      else expect(exit.code, run.stderr()).toBe(0);
      stepsAtKill.push(step);
      console.log(`run ${attempt + 1} ${exit.signal ?? 'finished'}; newest checkpoint in NATS at step ${stepsAtKill.at(-1)}`);
    }
    await store.close();
    const last = launch('moved', machine());
    const exit = await last.exited;
    expect(exit.code, last.stderr()).toBe(0);

    expect(finalLine(last.stdout())).toBe(expected);
    expect(JSON.parse(expected).examples).toBe(ROWS);
    expect(killed).toBeGreaterThanOrEqual(1);
    expect(last.stderr()).toMatch(/\nresumed from moved\/checkpoint-\d{12}\.json \(step \d+, \d+ examples\)/);
    expect(stepsAtKill.at(-1)).toBeGreaterThan(0);
    // no process wrote anything where it ran
    for (const dir of machines) expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
