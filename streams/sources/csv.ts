import type { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import type { CsvColumns } from '../../src/online/CsvSchema';
import type { Step } from '../Step';
import { fromReadable, type LineOptions, type ReadableInput } from './fromReadable';

/** Options of `csv`. */
export interface CsvOptions extends LineOptions {
  /** `true` (default) when the first line names the columns, else the column names. */
  readonly header?: true | readonly string[];
  /** The label, id, time and feature columns by name (default: the last column is the label). */
  readonly columns?: CsvColumns;
}

/**
 * Examples from CSV rows on a Node readable (`fromReadable` with `format: 'csv'`): plain
 * comma-separated numbers under a header line (`CsvSchema`).
 *
 * 1. A row with the wrong number of cells or a non-numeric cell is counted as rejected with its
 *    reason (naming the column); an empty label cell means "no label yet". A bad header errors
 *    the stream.
 * 2. Policy `block` (the default) pauses the readable while the queue is full.
 *
 * @example
 * import { Readable } from 'node:stream';
 * csv(Readable.from(['a,b,target\n', '0.5,1,1\n']), { header: true, batchSize: 1 })
 *   .subscribe((s) => console.log(Array.from(s.batch.x), s.batch.y[0])); // [0.5, 1] 1
 */
export function csv(input: ReadableInput, options: CsvOptions): Observable<Step<ExampleBatch>> {
  return fromReadable(input, { ...options, format: 'csv' });
}
