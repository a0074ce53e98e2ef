/**
 * kill -9 of a JetStream trainer (real processes, real nats-server): killed at random moments
 * and restarted several times, the final model has trained every stream message exactly once
 * (the ledger of trained ids in its checkpoint) and equals, bit for bit, the model of a trainer
 * that was never interrupted (another durable consumer on the same stream).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishExamples } from '../../streams/nats/publishExamples';
import { elec2 } from '../../streams/sources/elec2';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { listCheckpoints } from '../../streams/checkpointFile';
import { launchRun } from '../online/launchRun';
import { startNatsServer, type NatsServer } from './natsServer';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Bundled once by esbuild and run by plain node (see test/online/sigkill.test.ts).
const bundle = join(root, 'tmp', `jetstream-sigkill-${process.pid}`, 'jetstreamRun.mjs');
const ROWS = 3000;
const dirs: string[] = [];
let server: NatsServer;

/** Elec2's first rows as messages, each with its index as id (the ledger's key). */
function rows(n: number) {
  const t = elec2();
  return Array.from({ length: n }, (_, i) => ({ x: Array.from(t.xs.subarray(i * t.d, (i + 1) * t.d)), y: t.ys[i], id: i }));
}

beforeAll(async () => {
  [server] = await Promise.all([
    startNatsServer(),
    build({ entryPoints: [fileURLToPath(new URL('./jetstreamRun.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' }),
  ]);
  expect(await publishExamples({ servers: server.url, examples: rows(ROWS), idPrefix: 'elec2' })).toEqual({ published: ROWS, duplicates: 0 });
});
afterAll(async () => {
  await server?.close();
  [...dirs, dirname(bundle)].forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const launch = (dir: string, durable: string) => launchRun(bundle, [server.url, dir, durable, String(ROWS)], root);
const finalLine = (stdout: string) => stdout.trim().split('\n').at(-1) as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tempDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), name));
  dirs.push(d);
  return d;
};

describe('JetStream trainer killed with SIGKILL and restarted (real processes, real nats-server)', () => {
  it('every stream message is trained exactly once, and the parameters equal an uninterrupted run bit for bit', async () => {
    const ref = launch(tempDir('rxgrad-js-ref-'), 'ref');
    const [t0, refExit] = await Promise.all([ref.started, ref.exited]);
    expect(refExit.code, ref.stderr()).toBe(0);
    const expected = JSON.parse(finalLine(ref.stdout()));
    const training = refExit.at - t0;
    // the reference itself trained each message once, in stream order
    expect(expected.trained).toEqual(Array.from({ length: ROWS }, (_, i) => i));

    const dir = tempDir('rxgrad-js-kill-');
    const rand = mulberry32(7);
    let killed = 0;
    const stepsAtKill: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const run = launch(dir, 'killed');
      await run.started;
      // Killed once its newest checkpoint passed a target (15 %, 35 %, 55 %, 75 % of the steps),
      // then a random few ms later: mid-training however fast the machine, between checkpoints.
      const target = ((0.15 + 0.2 * attempt) * ROWS) / 8;
      while ((listCheckpoints(dir).at(-1)?.step ?? 0) < target && run.child.exitCode === null) await sleep(3);
      await sleep(20 * rand());
      run.child.kill('SIGKILL');
      const exit = await run.exited;
      if (exit.signal === 'SIGKILL') killed++;
      else expect(exit.code, run.stderr()).toBe(0);
      stepsAtKill.push(listCheckpoints(dir).at(-1)?.step ?? 0);
      console.log(`run ${attempt + 1}: ${exit.signal ?? 'finished'}; newest checkpoint at step ${stepsAtKill.at(-1)}`);
    }
    const last = launch(dir, 'killed');
    const exit = await last.exited;
    expect(exit.code, last.stderr()).toBe(0);
    const got = JSON.parse(finalLine(last.stdout()));
    console.log(`reference ${training.toFixed(0)} ms; newest checkpoint at each kill: ${stepsAtKill.join(', ')}`);

    // The ledger: each of the ROWS messages trained once, in stream order, none twice.
    expect(got.trained).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(got.examples).toBe(ROWS);
    // Bit for bit the uninterrupted model (and its test-then-train metrics).
    expect(got.params).toEqual(expected.params);
    expect(got.metrics).toEqual(expected.metrics);
    // The kills really cut the run, and the last run resumed from a checkpoint.
    expect(killed).toBeGreaterThanOrEqual(3);
    expect(new Set(stepsAtKill.filter((t) => t > 0 && t < ROWS / 8)).size).toBeGreaterThanOrEqual(2);
    expect(last.stderr()).toMatch(/resumed from .*checkpoint-\d+\.json/);
    // …and got the killed trainer's unacked messages again (redelivered after ackWait)
    expect(got.ingest.redelivered).toBeGreaterThan(0);
    console.log(`last run: ${JSON.stringify(got.ingest)}`);
  }, 60_000);
});
