import type { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { lineParser, type LineFormat } from '../../src/online/lineParser';
import { RxgradError } from '../../src/RxgradError';
import type { Step } from '../Step';
import { feedLines } from './feedLines';
import { pushSource, type PushOptions } from './pushSource';

/** Options of the sources reading lines (`ndjson`, `csv`, `fromReadable`, `tail`). */
export interface LineOptions extends PushOptions {
  /** Longest line accepted in bytes (default 65,536); a longer one is rejected (counted). */
  readonly maxLineBytes?: number;
}

/**
 * A Node readable, or a function opening one per subscription (which is then destroyed with it),
 * given the byte offset to start at: 0, or in a resumed run the offset after the last line
 * trained — `(start) => fs.createReadStream(path, { start })` continues a file exactly there.
 */
export type ReadableInput = Readable | ((start: number) => Readable);

/**
 * Examples from the lines of a Node readable (stdin, a socket, a file), through a push source's
 * bounded queue.
 *
 * 1. Lines are parsed per `format` (`lineParser`: NDJSON, or CSV with a header); bad lines are
 *    counted as rejected with their reason and the run continues.
 * 2. Policy `block` pauses the readable when the queue is full (the lines already read wait,
 *    none is lost) and resumes it once the queue drained to half.
 * 3. The readable's end flushes the last lines and completes the stream; its error errors it.
 * 4. Unsubscribing detaches from a readable given as is (it stays open: stdin), and destroys one
 *    opened by a function. A readable given as is can be read by one subscription only.
 * 5. Resuming: a function is called with the byte offset after the last line trained (saved as
 *    the source's `position`; 0 when not resuming) — a file opened there is continued without
 *    losing or repeating a line. A CSV resumed past its start has no header line left to read:
 *    give the column names (`header: [...]`), else the run fails saying so. A readable given as
 *    is (stdin, a socket) is read from where it is.
 *
 * @example
 * import { Readable } from 'node:stream';
 * fromReadable(Readable.from(['{"x":[1,2],"y":1}\n']), { format: 'ndjson', batchSize: 1 })
 *   .subscribe((s) => console.log(s.size)); // 1
 */
export function fromReadable(input: ReadableInput, options: LineOptions & LineFormat): Observable<Step<ExampleBatch>> {
  if (typeof input !== 'function' && (input === null || typeof input !== 'object' || typeof (input as Readable).on !== 'function')) {
    throw new RxgradError('readable', 'a Node readable stream or a function returning one', input);
  }
  lineParser(options); // checks the format options now
  return pushSource((sink, restored) => {
    const owned = typeof input === 'function';
    const start = owned ? (restored?.position ?? 0) : 0;
    if (start > 0 && options.format === 'csv' && (options.header ?? true) === true) {
      throw new RxgradError('header', `the column names (a CSV resumed at byte ${start} has no header line left to read)`, true);
    }
    const readable = owned ? input(start) : input;
    const feed = feedLines(sink, lineParser(options), { ...options, marks: owned, start });
    let ended = false;
    const guard = (fn: () => void) => () => {
      try {
        fn();
      } catch (err) {
        sink.error(err);
      }
    };
    const finish = () => {
      feed.end();
      sink.complete();
    };
    const onData = (chunk: Buffer | string) =>
      guard(() => {
        if (!feed.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) readable.pause();
      })();
    // The readable may end while lines wait for room: they go first.
    const onEnd = guard(() => {
      ended = true;
      if (!feed.pending && !sink.blocked) finish();
    });
    const onError = (err: unknown) => sink.error(err);
    readable.on('data', onData);
    readable.once('end', onEnd);
    readable.once('error', onError);
    return {
      pause: () => readable.pause(),
      resume: guard(() => {
        if (!feed.resume()) return;
        if (!ended) readable.resume();
        else if (!sink.blocked) finish();
      }),
      stop: () => {
        readable.off('data', onData);
        readable.off('end', onEnd);
        readable.off('error', onError);
        if (owned) readable.destroy();
        else readable.pause();
      },
    };
  }, options);
}
