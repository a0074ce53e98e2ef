import { RxgradError, shown } from '../RxgradError';
import type { Example } from './checkExample';

/** Which columns of a CSV file are what (names from its header). */
export interface CsvColumns {
  /** The label column; default the last column; `null`: no label (delayed labels). */
  readonly label?: string | null;
  /** A column joining later labels to rows (kept as text). */
  readonly id?: string;
  /** A column holding each row's time in ms since the epoch. */
  readonly time?: string;
  /** The feature columns, in order; default every other column. */
  readonly features?: readonly string[];
}

function isNumeric(cell: string): boolean {
  return cell.length > 0 && cell.trim() === cell;
}

/**
 * A CSV header and the rows it describes: plain comma-separated numbers, no quoting.
 *
 * 1. The header names the columns (a duplicate or missing name is an error, thrown at once).
 * 2. `parse(line)` turns a row into an `Example`: the feature columns in order as `x`, the label
 *    column as `y` (an empty cell: no label yet), `id` and `time` if configured. A row with the
 *    wrong number of cells or a cell that is not a finite number is rejected: `RxgradError`
 *    naming the column and the cell (the reason a source counts).
 *
 * @example
 * const s = new CsvSchema('feat_1,feat_2,target');
 * s.parse('0.5,0.25,1'); // { x: [0.5, 0.25], y: 1 }
 * s.parse('0.5,abc,1'); // throws 'Expected `feat_2` a number, got "abc"'
 */
export class CsvSchema {
  /** Column names, from the header. */
  readonly names: readonly string[];
  /** Indices of the feature columns. */
  readonly featureIndex: readonly number[];
  private readonly labelIndex: number;
  private readonly idIndex: number;
  private readonly timeIndex: number;

  constructor(header: string, columns: CsvColumns = {}) {
    this.names = header.replace(/\r$/, '').split(',').map((n) => n.trim());
    const index = (field: string, name: string | undefined | null): number => {
      if (name == null) return -1;
      const i = this.names.indexOf(name);
      if (i < 0) throw new RxgradError(field, `a column of the header (${this.names.join(', ')})`, name);
      return i;
    };
    const dup = this.names.find((n, i) => n === '' || this.names.indexOf(n) !== i);
    if (dup !== undefined) throw new RxgradError('header', 'distinct, non-empty column names', header);
    this.labelIndex = columns.label === undefined ? this.names.length - 1 : index('label', columns.label);
    this.idIndex = index('id', columns.id);
    this.timeIndex = index('time', columns.time);
    const taken = new Set([this.labelIndex, this.idIndex, this.timeIndex]);
    this.featureIndex = columns.features
      ? columns.features.map((name) => index('features', name))
      : this.names.map((_, i) => i).filter((i) => !taken.has(i));
    if (this.featureIndex.length === 0) throw new RxgradError('features', 'at least one feature column', shown('none'));
  }

  /** One row as an example (see the class). */
  parse(line: string): Example {
    const cells = line.split(',');
    if (cells.length !== this.names.length) throw new RxgradError('row', `${this.names.length} cells (as the header)`, shown(`${cells.length}`));
    const x = this.featureIndex.map((i) => this.number(i, cells[i]));
    const label = this.labelIndex < 0 ? '' : cells[this.labelIndex];
    return {
      x,
      ...(label !== '' && { y: this.number(this.labelIndex, label) }),
      ...(this.idIndex >= 0 && { id: cells[this.idIndex] }),
      ...(this.timeIndex >= 0 && { time: this.number(this.timeIndex, cells[this.timeIndex]) }),
    };
  }

  private number(i: number, cell: string): number {
    const v = Number(cell);
    if (!isNumeric(cell) || !Number.isFinite(v)) throw new RxgradError(this.names[i], 'a number', cell);
    return v;
  }
}
