import type { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import type { Step } from '../Step';
import { fromReadable, type LineOptions, type ReadableInput } from './fromReadable';

/**
 * Examples from newline-delimited JSON on a Node readable (stdin, a socket, a file): one
 * `{ "x": [...], "y": …, "id": …, "time": … }` per line (`fromReadable` with `format: 'ndjson'`).
 *
 * 1. Malformed JSON, an oversize line or a bad example is counted as rejected with its reason
 *    (in every step's `online.ingest`); the run continues.
 * 2. Policy `block` (the default) pauses the readable while the queue is full.
 * 3. The readable's end completes the stream after the last batch.
 *
 * @example
 * import { Readable } from 'node:stream';
 * ndjson(Readable.from(['{"x":[1,2],"y":1}\n{"x":[3,4],"y":0}\n']), { batchSize: 2 })
 *   .subscribe((s) => console.log(Array.from(s.batch.x))); // [1, 2, 3, 4]
 */
export function ndjson(input: ReadableInput, options: LineOptions): Observable<Step<ExampleBatch>> {
  return fromReadable(input, { ...options, format: 'ndjson' });
}
