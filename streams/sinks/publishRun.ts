import { defer, takeUntil, tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { StepResult } from '../Step';
import type { RunChannel } from './RunChannel';

/**
 * Feed a `RunChannel` with a run's results, passing them on unchanged (what `wsMetrics(run)` does).
 *
 * 1. Claims the channel on subscribe (a second subscription errors).
 * 2. Publishes every value; a `stop` request completes the output (unsubscribing the source).
 * 3. Ends the channel `done` on complete, `stopped` after a stop request or an unsubscribe,
 *    `error` (with the message) on error, which passes on.
 *
 * @example
 * results.pipe(publishRun(server.run({ id: 'gd', name: 'GD' }))).subscribe();
 */
export function publishRun(channel: RunChannel): MonoTypeOperatorFunction<StepResult> {
  return (source) =>
    defer(() => {
      channel.attach();
      let stopped = false;
      return source.pipe(
        takeUntil(channel.stopRequested.pipe(tap(() => (stopped = true)))),
        tap({
          next: (r) => channel.publish(r),
          complete: () => channel.end(stopped ? 'stopped' : 'done'),
          error: (err) => channel.end('error', err),
          unsubscribe: () => channel.end('stopped'),
        }),
      );
    });
}
