import { positiveInt } from '../validate';

/** Receives what a `LineSplitter` found. */
export interface LineHandler {
  /**
   * A complete line (UTF-8, without its `\n` or `\r\n`) and the byte offset just after it;
   * returning `false` stops `push` after this line.
   */
  line(text: string, end: number): boolean | void;
  /** A line longer than the limit was skipped: its length in bytes and the offset just after it. */
  oversize(bytes: number, end: number): void;
}

const NL = 0x0a;
const utf8 = new TextDecoder();

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Cut a byte stream into lines with a length limit, keeping byte offsets.
 *
 * 1. `push(chunk, handler)` hands every complete line of the bytes so far to `handler.line`
 *    with the byte offset just after its newline (counted from `start`); a trailing `\r` is
 *    removed; blank lines are passed over (they hold no record).
 * 2. A line longer than `maxLineBytes` is never buffered whole: its bytes are discarded as they
 *    come and `handler.oversize` reports its length once its newline arrives.
 * 3. `end(handler)` hands over a last line without a newline (a stream that ended); a growing
 *    file's unfinished line instead stays pending until its newline comes.
 * 4. A `line` handler returning `false` stops `push` after that line: `push` returns the rest of
 *    the chunk, to be pushed again later (a consumer that must wait).
 * 5. `offset` is the byte offset just after the last complete line handed over.
 *
 * @example
 * const s = new LineSplitter(1024);
 * s.push(new TextEncoder().encode('{"x":[1]}\n{"x"'), { line: (t, end) => console.log(t, end), oversize: () => {} }); // {"x":[1]} 10
 */
export class LineSplitter {
  private readonly maxLineBytes: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private consumed: number;

  constructor(maxLineBytes: number, start = 0) {
    this.maxLineBytes = positiveInt('maxLineBytes', maxLineBytes);
    this.consumed = positiveInt('start', start, 0);
  }

  /** Byte offset just after the last complete line. */
  get offset(): number {
    return this.consumed;
  }

  /** Feed bytes; returns the bytes not looked at when a handler asked to stop (see the class). */
  push(chunk: Uint8Array, handler: LineHandler): Uint8Array | undefined {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NL, from);
      const to = nl < 0 ? chunk.length : nl;
      const part = chunk.subarray(from, to);
      if (!this.skipping && this.pendingBytes + part.length > this.maxLineBytes) {
        this.skipping = true;
        this.pending = [];
      }
      if (!this.skipping && part.length > 0) this.pending.push(part.slice());
      this.pendingBytes += part.length;
      if (nl < 0) return undefined;
      from = nl + 1;
      if (this.finish(handler, 1) === false && from < chunk.length) return chunk.subarray(from);
    }
    return undefined;
  }

  /** The stream ended: hand over a last unterminated line (see the class). */
  end(handler: LineHandler): void {
    if (this.pendingBytes > 0) this.finish(handler, 0);
  }

  private finish(handler: LineHandler, newline: number): boolean | void {
    const bytes = this.pendingBytes;
    const skipped = this.skipping;
    const text = skipped ? '' : utf8.decode(this.pending.length === 1 ? this.pending[0] : concat(this.pending, bytes)).replace(/\r$/, '');
    this.consumed += bytes + newline;
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    if (skipped) return handler.oversize(bytes, this.consumed);
    if (text.trim().length > 0) return handler.line(text, this.consumed);
  }
}
