import { RxgradError, shown } from '../../src/RxgradError';
import { LineSplitter } from '../../src/online/LineSplitter';
import type { PushSink } from './pushSource';

/** A byte stream's lines going into a push source's queue. */
export interface LineFeed {
  /** Feed bytes; `false` when the queue blocked (the rest is kept for `resume`). */
  push(chunk: Uint8Array): boolean;
  /** Feed the bytes kept when the queue blocked; `false` if it blocked again. */
  resume(): boolean;
  /** The bytes ended: a last line without a newline is fed too. */
  end(): void;
  /** Whether bytes kept when the queue blocked wait for `resume`. */
  readonly pending: boolean;
}

/** Default longest line accepted, in bytes. */
export const MAX_LINE_BYTES = 65_536;

/**
 * Cut bytes into lines (`LineSplitter`) and offer each line's example to a push source.
 *
 * 1. Each line is parsed with `parse`; its example is offered with the byte offset after the line
 *    as its mark when `marks` is set (a file's position).
 * 2. A line over `maxLineBytes`, or one `parse` rejects with an `RxgradError` (malformed JSON, a
 *    bad CSV row), is counted as rejected with the reason; any other error fails the source.
 * 3. When the queue blocks (policy `block`, full), feeding stops after the line that filled it;
 *    the rest of the chunk waits for `resume()` — no line is lost or read twice.
 *
 * @example
 * const feed = feedLines(sink, parseJsonLine, { maxLineBytes: 1024 });
 * readable.on('data', (chunk) => { if (!feed.push(chunk)) readable.pause(); });
 */
export function feedLines(
  sink: PushSink,
  parse: (line: string) => unknown,
  options: { readonly maxLineBytes?: number; readonly start?: number; readonly marks?: boolean } = {},
): LineFeed {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const splitter = new LineSplitter(maxLineBytes, options.start ?? 0);
  let rest: Uint8Array | undefined;
  const handler = {
    line: (text: string, end: number) => {
      let example: unknown;
      try {
        example = parse(text);
      } catch (err) {
        if (!(err instanceof RxgradError)) throw err;
        sink.reject(err.message);
        return true;
      }
      if (example !== undefined) sink.offer(example, options.marks ? end : undefined);
      return !sink.blocked;
    },
    oversize: (bytes: number) => sink.reject(new RxgradError('line', `of ≤ ${maxLineBytes} bytes`, shown(`${bytes} bytes`)).message),
  };
  const push = (chunk: Uint8Array): boolean => {
    // Bytes that came while blocked go after the ones kept, in order.
    rest = splitter.push(rest === undefined ? chunk : Buffer.concat([rest, chunk]), handler);
    return rest === undefined;
  };
  return {
    push,
    resume: () => {
      if (rest === undefined) return true;
      const kept = rest;
      rest = undefined;
      return push(kept);
    },
    end: () => splitter.end(handler),
    get pending() {
      return rest !== undefined;
    },
  };
}
