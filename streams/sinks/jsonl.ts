import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import { operate } from '../operate';
import type { StepResult } from '../Step';

/** Options of `jsonl`. */
export interface JsonlOptions {
  /** Add `"run": <id>` to every line (to tell runs apart when several share a file). */
  readonly run?: string;
  /** Append to an existing file instead of replacing it (default false). */
  readonly append?: boolean;
  /** Write buffered lines at least this often, in ms (default 1,000), and whenever 64 KiB are waiting. */
  readonly flushMs?: number;
}

const FLUSH_BYTES = 64 * 1024;

/**
 * Write every `StepResult` as one JSON line to `path`, passing it on unchanged.
 *
 * 1. On subscribe the file's folder is created if missing (with its parents) and the file is
 *    opened (created or truncated; appended with `append`); an unwritable path errors the stream.
 * 2. Lines are buffered and written synchronously when 64 KiB are waiting, at least every
 *    `flushMs` (so `tail -f` follows a run), and on complete, error and unsubscribe — when the
 *    stream ends, every line it passed on is in the file.
 * 3. Non-finite numbers are written as `null` (JSON has no NaN).
 *
 * @example
 * steps.pipe(gradients(loss, params), optimize(sgd({ lr: 0.1 })), applyUpdates(params), jsonl('runs/sgd.jsonl', { run: 'sgd' }))
 *   .subscribe();
 */
export function jsonl(path: string, options: JsonlOptions = {}): MonoTypeOperatorFunction<StepResult> {
  if (typeof path !== 'string' || path.length === 0) throw new RxgradError('path', 'a file path', path);
  const { run, append = false, flushMs = 1000 } = options;
  if (run !== undefined && typeof run !== 'string') throw new RxgradError('run', 'a string', run);
  return operate<StepResult, StepResult>((out) => {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, append ? 'a' : 'w');
    let buffer: string[] = [];
    let bytes = 0;
    const flush = () => {
      if (buffer.length === 0) return;
      writeSync(fd, buffer.join(''));
      buffer = [];
      bytes = 0;
    };
    const timer = setInterval(flush, flushMs).unref();
    return {
      next: (result) => {
        const line = `${JSON.stringify(run === undefined ? result : { run, ...result })}\n`;
        buffer.push(line);
        bytes += line.length;
        if (bytes >= FLUSH_BYTES) flush();
        out.next(result);
      },
      complete: flush,
      teardown: () => {
        clearInterval(timer);
        try {
          flush();
        } finally {
          closeSync(fd);
        }
      },
    };
  });
}
