import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { lineParser, type LineFormat } from '../../src/online/lineParser';
import { RxgradError } from '../../src/RxgradError';
import { inRange } from '../../src/validate';
import type { Step } from '../Step';
import { feedLines, MAX_LINE_BYTES, type LineFeed } from './feedLines';
import type { LineOptions } from './fromReadable';
import { later } from './later';
import { pushSource, type PushSink } from './pushSource';

/** Options of `tail`. */
export interface TailOptions extends LineOptions, LineFormat {
  /** Without a checkpoint, read the file from its `start` (default) or only what is appended after subscribing (`end`). */
  readonly from?: 'start' | 'end';
  /** Check the file for growth, truncation and rotation every `pollMs` (default 100); `fs.watch` wakes it sooner. */
  readonly pollMs?: number;
}

const CHUNK = 64 * 1024;

function missing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** The first line of an open file (a CSV header read again when starting mid-file). */
function firstLine(fd: number, maxLineBytes: number): string {
  const buf = Buffer.alloc(maxLineBytes + 1);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const nl = buf.subarray(0, n).indexOf(0x0a);
  return buf.subarray(0, nl < 0 ? n : nl).toString('utf8').replace(/\r$/, '');
}

/**
 * Follow a growing file (`tail -F`): every line appended becomes an example, through a push
 * source's bounded queue. NDJSON by default, or CSV under its header (`format: 'csv'`).
 *
 * 1. Reads from the start of the file (or its end with `from: 'end'`), then whatever is
 *    appended: woken by `fs.watch` and every `pollMs` (on `scheduler` when given). Reads are
 *    synchronous (`fs.readSync`, 64 KiB at a time). A line is taken once its newline has been
 *    written. A file that does not exist yet is waited for.
 * 2. **Truncation** (the file is shorter than what was read): reading starts again at its
 *    beginning. **Rotation** (the path names a new file, or none): the old file is read to its
 *    end (its last line even without a newline), then the new one from its beginning.
 * 3. **Position**: each step registers the byte offset just after the last line handed to
 *    training as the source's `position` in the run's checkpoint; a run resumed from it continues
 *    exactly after that line (at the file's start if the file is now shorter). A CSV header is
 *    read again from the file's first line.
 * 4. Policy `block` (the default) stops reading while the queue is full (no line is lost); bad
 *    lines are counted as rejected with their reason. The stream never completes by itself:
 *    unsubscribe to stop (the file is closed, timers and watcher cleared).
 *
 * @example
 * tail('/var/log/examples.ndjson', { batchSize: 32, maxWaitMs: 200 })
 *   .subscribe((s) => console.log(s.examples, s.online?.ingest?.lag));
 */
export function tail(path: string, options: TailOptions): Observable<Step<ExampleBatch>> {
  if (typeof path !== 'string' || path.length === 0) throw new RxgradError('path', 'a file path', path);
  const pollMs = inRange('pollMs', options?.pollMs ?? 100, { min: 1 });
  const from = options.from ?? 'start';
  if (from !== 'start' && from !== 'end') throw new RxgradError('from', "'start' or 'end'", from);
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  lineParser(options); // checks the format options now
  const csvHeader = options.format === 'csv' && (options.header ?? true) === true;
  return pushSource((sink: PushSink, restored) => {
    let fd: number | undefined;
    let ino = 0;
    let readPos = 0;
    let feed: LineFeed | undefined;
    let blocked = false;
    let stopped = false;
    let watcher: FSWatcher | undefined;
    let timer: (() => void) | undefined;
    let soon: (() => void) | undefined;
    // Where the first file is opened: after the checkpoint's line, else its start or end.
    let startAt: number | 'end' = restored?.position ?? (from === 'end' ? 'end' : 0);

    const open = (): boolean => {
      let newFd: number;
      try {
        newFd = openSync(path, 'r');
      } catch (err) {
        if (missing(err)) return false;
        throw err;
      }
      const st = fstatSync(newFd);
      let at = startAt === 'end' ? st.size : startAt;
      if (at > st.size) at = 0; // shorter than the checkpoint's position: a new file
      startAt = 0;
      fd = newFd;
      ino = st.ino;
      readPos = at;
      const parse = lineParser(options);
      if (csvHeader && at > 0) parse(firstLine(newFd, maxLineBytes));
      feed = feedLines(sink, parse, { maxLineBytes, start: at, marks: true });
      watcher?.close();
      try {
        watcher = watch(path, () => wake());
        watcher.on('error', () => undefined);
      } catch {
        watcher = undefined; // polling alone
      }
      return true;
    };
    const close = () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      feed = undefined;
    };
    /** Read what was appended; false if the queue blocked. */
    const drain = (): boolean => {
      if (fd === undefined || !feed) return true;
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK);
        const n = readSync(fd, buf, 0, CHUNK, readPos);
        if (n === 0) return true;
        readPos += n;
        if (!feed.push(buf.subarray(0, n))) return false;
      }
    };
    const poll = () => {
      soon = undefined;
      if (stopped || blocked) return;
      try {
        if (fd === undefined && !open()) return;
        if (fstatSync(fd as number).size < readPos) {
          // Truncated: start again at the beginning (a partial line read before is dropped).
          close();
          startAt = 0;
          if (!open()) return;
        }
        if (!drain()) return;
        let current: number | undefined;
        try {
          current = statSync(path).ino;
        } catch (err) {
          if (!missing(err)) throw err;
        }
        if (current !== ino) {
          // Rotated or removed: the old file is complete; its last line counts without a newline.
          feed?.end();
          close();
          if (current !== undefined && open()) drain();
        }
      } catch (err) {
        sink.error(err);
      }
    };
    const wake = () => {
      if (!soon && !stopped) soon = later(poll, undefined, options.scheduler);
    };
    const tick = () => {
      poll();
      if (!stopped) timer = later(tick, pollMs, options.scheduler);
    };
    tick();
    return {
      pause: () => {
        blocked = true;
      },
      resume: () => {
        blocked = false;
        try {
          if (feed?.resume() !== false) wake();
        } catch (err) {
          sink.error(err);
        }
      },
      stop: () => {
        stopped = true;
        timer?.();
        soon?.();
        watcher?.close();
        close();
      },
    };
  }, options);
}
