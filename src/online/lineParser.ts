import { RxgradError } from '../RxgradError';
import { CsvSchema, type CsvColumns } from './CsvSchema';
import { parseJsonLine } from './parseJsonLine';

/** How the lines of a text source are read. */
export interface LineFormat {
  /** `ndjson` (default): one JSON example `{ x, y?, id?, time? }` per line; `csv`: comma-separated numbers. */
  readonly format?: 'ndjson' | 'csv';
  /** CSV: `true` (default) when the first line names the columns, else the column names. */
  readonly header?: true | readonly string[];
  /** CSV: which columns are the label, id, time and features (default: the last column is the label). */
  readonly columns?: CsvColumns;
}

/**
 * A parser of one text source's lines (make one per reading: a CSV header is read once).
 *
 * 1. The parser returns the line's example (checked later by the queue), or `undefined` for a
 *    CSV header line.
 * 2. Bad input — malformed JSON, a bad CSV row — throws an `RxgradError`: a reason to count.
 *    A bad CSV header throws a plain `Error`: the source cannot go on.
 *
 * @example
 * const parse = lineParser({ format: 'csv' });
 * parse('a,b,y'); // undefined (the header)
 * parse('1,2,0'); // { x: [1, 2], y: 0 }
 */
export function lineParser(options: LineFormat = {}): (line: string) => unknown {
  const format = options.format ?? 'ndjson';
  if (format === 'ndjson') return parseJsonLine;
  if (format !== 'csv') throw new RxgradError('format', 'ndjson or csv', format);
  const header = options.header ?? true;
  if (header !== true && !Array.isArray(header)) throw new RxgradError('header', 'true or an array of column names', header);
  const schemaOf = (line: string): CsvSchema => {
    try {
      return new CsvSchema(line, options.columns);
    } catch (err) {
      throw new Error(`CSV header: ${(err as Error).message}`);
    }
  };
  let schema = header === true ? undefined : schemaOf(header.join(','));
  return (line) => {
    if (schema) return schema.parse(line);
    schema = schemaOf(line);
    return undefined;
  };
}
