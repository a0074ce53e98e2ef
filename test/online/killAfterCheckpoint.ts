import { listCheckpoints } from '../../streams/checkpointFile';
import type { launchRun } from './launchRun';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Kill a run of the kill -9 tests with SIGKILL at a random moment after it has saved progress of
 * its own, and wait for its exit:
 * 1. polls `dir` until its newest checkpoint is past `since` (the step the previous run left), or
 *    the run exits first;
 * 2. sleeps `delayMs` more (the test draws it from its seeded generator: a moment mid-step,
 *    mid-write or between checkpoints);
 * 3. kills the run and resolves with its exit and the newest checkpoint's step then.
 *
 * A timer alone (kill t ms after `started`) let every run of a loaded machine die before its first
 * checkpoint, so the last run started from the beginning and resumed nothing.
 */
export async function killAfterCheckpoint(run: ReturnType<typeof launchRun>, dir: string, since: number, delayMs: number) {
  const newest = () => listCheckpoints(dir).at(-1)?.step ?? 0;
  let exited = false;
  void run.exited.then(() => (exited = true));
  while (!exited && newest() <= since) await sleep(2);
  if (!exited) {
    await sleep(delayMs);
    run.child.kill('SIGKILL');
  }
  const exit = await run.exited;
  return { exit, step: newest() };
}
