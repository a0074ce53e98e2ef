import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Observable } from 'rxjs';
import { RxgradError } from '../src/RxgradError';
import { positiveInt } from '../src/validate';
import type { StepResult } from '../streams/Step';

/** Options of `fileRun`. */
export interface FileRunOptions {
  /** Keep reading lines appended to the file (like `tail -f`) instead of completing at its end. */
  readonly follow?: boolean;
  /** With `follow`, look for new lines this often, in ms (default 250). */
  readonly pollMs?: number;
}

const CHUNK = 1 << 16;

/**
 * The `StepResult`s of one run written by the `jsonl` sink, read back from its file.
 *
 * 1. Every line is parsed as JSON and must be an object with a numeric `step` (a line of the
 *    `jsonl` sink); anything else errors the stream with an `RxgradError` naming `file:line`.
 *    Blank lines are ignored.
 * 2. Without `follow` the stream completes at the end of the file (a last line without its
 *    newline counts). A missing file is an error.
 * 3. With `follow`, lines appended later are emitted as they are completed by their newline
 *    (checked every `pollMs`; the sink writes every second); a file that does not exist yet is
 *    waited for. When the file shrinks (a new run rewrote it) the stream completes: the lines
 *    that follow belong to another run. Unsubscribing stops the polling and closes the file.
 *
 * @example
 * fileRun('runs/adam.jsonl', { follow: true }).pipe(publishRun(server.run({ id: 'adam', name: 'adam' }))).subscribe();
 */
export function fileRun(file: string, options: FileRunOptions = {}): Observable<StepResult> {
  if (typeof file !== 'string' || file.length === 0) throw new RxgradError('file', 'a file path', file);
  const follow = options.follow ?? false;
  const pollMs = positiveInt('pollMs', options.pollMs ?? 250);
  return new Observable<StepResult>((subscriber) => {
    let fd: number | undefined;
    let offset = 0;
    let partial = '';
    let lineNo = 0;
    const buffer = Buffer.alloc(CHUNK);
    const decoder = new StringDecoder('utf8');
    const emit = (line: string) => {
      lineNo += 1;
      if (line.trim().length === 0) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      const step = (value as { step?: unknown } | undefined)?.step;
      if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof step !== 'number') {
        throw new RxgradError(`${file}:${lineNo}`, 'a JSON object with a numeric `step` (a line of the jsonl sink)', line);
      }
      subscriber.next(value as StepResult);
    };
    /** Emit the lines the file holds beyond `offset`; false when the file shrank or the subscriber left. */
    const read = (): boolean => {
      if (fd === undefined) {
        try {
          fd = openSync(file, 'r');
        } catch (err) {
          if (follow && (err as NodeJS.ErrnoException).code === 'ENOENT') return true;
          throw new RxgradError('file', 'a readable jsonl file', file, (err as Error).message);
        }
      }
      if (follow && fstatSync(fd).size < offset) return false;
      for (let n; (n = readSync(fd, buffer, 0, CHUNK, offset)) > 0; ) {
        offset += n;
        const lines = (partial + decoder.write(buffer.subarray(0, n))).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          emit(line);
          if (subscriber.closed) return false;
        }
      }
      return true;
    };
    let timer: NodeJS.Timeout | undefined;
    const poll = () => {
      try {
        const going = read();
        if (follow && going) return;
        const rest = partial + decoder.end();
        if (!follow && going && rest.length > 0) emit(rest);
        subscriber.complete();
      } catch (err) {
        subscriber.error(err);
      }
      clearInterval(timer);
    };
    poll();
    if (follow && !subscriber.closed) timer = setInterval(poll, pollMs);
    return () => {
      clearInterval(timer);
      if (fd !== undefined) closeSync(fd);
    };
  });
}
