import { listCheckpoints } from '../../streams/checkpointFile';
import type { launchRun } from './launchRun';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The newest checkpoint's step in a directory (0 while there is none): `killAfterCheckpoint`'s reader for file checkpoints. */
export const newestIn = (dir: string) => () => listCheckpoints(dir).at(-1)?.step ?? 0;

/**
 * Kill a run of the kill -9 tests with SIGKILL at a random moment after it has saved progress of
 * its own, and wait for its exit:
 * 1. polls `newest()` (the newest checkpoint's step, wherever the run saves them) every `pollMs`
 *    until it is past `since` (the step the previous run left), or the run exits first;
 * 2. sleeps `delayMs` more (the test draws it from its seeded generator: a moment mid-step,
 *    mid-write or between checkpoints);
 * 3. kills the run and resolves with its exit and the newest checkpoint's step then.
 *
 * A timer alone (kill t ms after `started`) let every run of a loaded machine die before its first
 * checkpoint, so the last run started from the beginning and resumed nothing.
 */
export async function killAfterCheckpoint(
  run: ReturnType<typeof launchRun>,
  newest: () => number | Promise<number>,
  since: number,
  delayMs: number,
  pollMs = 2,
) {
  let exited = false;
  void run.exited.then(() => (exited = true));
  while (!exited && (await newest()) <= since) await sleep(pollMs);
  if (!exited) {
    await sleep(delayMs);
    run.child.kill('SIGKILL');
  }
  const exit = await run.exited;
  return { exit, step: await newest() };
}
