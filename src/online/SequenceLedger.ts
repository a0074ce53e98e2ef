import { RxgradError } from '../RxgradError';

/** A ledger's JSON form: sorted, disjoint, non-adjacent inclusive ranges `[first, last]` of sequences. */
export type SequenceRanges = readonly (readonly [number, number])[];

/**
 * The set of stream sequences whose effect is in a model (trained, or dead-lettered), kept as
 * ranges: what a durable source saves in its checkpoint to recognise a redelivered message it
 * already trained on — exactly-once effect on the model with at-least-once delivery.
 *
 * 1. `add(seq)` inserts a sequence (an integer ≥ 1); adjacent ranges merge, so a stream read in
 *    order is one range however long. Returns false when it was already there.
 * 2. `has(seq)`: membership by binary search over the ranges.
 * 3. `ranges()` is the JSON form (fresh arrays); `SequenceLedger.from(saved, field)` reads it back,
 *    checked — integers ≥ 1, first ≤ last, sorted and not touching (else an `RxgradError` naming
 *    `field[i]`); `undefined` gives an empty ledger.
 * 4. `last` is the highest sequence (0 when empty); `contiguousTo(from)` the end of the run of
 *    sequences held from `from` on (`from − 1` when `from` is not held).
 *
 * @example
 * const l = new SequenceLedger();
 * l.add(1); l.add(2); l.add(4); l.add(3);
 * l.ranges(); // [[1, 4]]
 * l.has(5); // false
 */
export class SequenceLedger {
  private readonly firsts: number[] = [];
  private readonly lasts: number[] = [];

  /** A ledger from its JSON form (see the class). */
  static from(saved: unknown, field: string): SequenceLedger {
    const l = new SequenceLedger();
    if (saved === undefined) return l;
    if (!Array.isArray(saved)) throw new RxgradError(field, 'an array of [first, last] sequence ranges', saved);
    for (let i = 0; i < saved.length; i++) {
      const r = saved[i] as unknown;
      const ok = Array.isArray(r) && r.length === 2 && r.every((v) => Number.isSafeInteger(v) && v >= 1) && r[0] <= r[1];
      const prev = l.lasts.at(-1) ?? -1;
      if (!ok || r[0] <= prev + 1) throw new RxgradError(`${field}[${i}]`, `a range [first, last] of sequences ≥ 1, first ≤ last, after ${prev + 1} (sorted, not touching)`, r);
      l.firsts.push(r[0]);
      l.lasts.push(r[1]);
    }
    return l;
  }

  /** Index of the last range whose first ≤ seq (−1 when none). */
  private find(seq: number): number {
    let lo = 0;
    let hi = this.firsts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.firsts[mid] <= seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Whether `seq` is in the ledger. */
  has(seq: number): boolean {
    const i = this.find(seq);
    return i >= 0 && seq <= this.lasts[i];
  }

  /** Insert `seq` (see the class); false when it was already there. */
  add(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RxgradError('seq', 'a stream sequence (an integer ≥ 1)', seq);
    const i = this.find(seq);
    if (i >= 0 && seq <= this.lasts[i]) return false;
    const joinsLeft = i >= 0 && this.lasts[i] === seq - 1;
    const joinsRight = i + 1 < this.firsts.length && this.firsts[i + 1] === seq + 1;
    if (joinsLeft && joinsRight) {
      this.lasts[i] = this.lasts[i + 1];
      this.firsts.splice(i + 1, 1);
      this.lasts.splice(i + 1, 1);
    } else if (joinsLeft) this.lasts[i] = seq;
    else if (joinsRight) this.firsts[i + 1] = seq;
    else {
      this.firsts.splice(i + 1, 0, seq);
      this.lasts.splice(i + 1, 0, seq);
    }
    return true;
  }

  /** The highest sequence held (0 when empty). */
  get last(): number {
    return this.lasts.at(-1) ?? 0;
  }

  /** The end of the run of sequences held from `from` on (`from − 1` when `from` is not held). */
  contiguousTo(from: number): number {
    const i = this.find(from);
    return i >= 0 && from <= this.lasts[i] ? this.lasts[i] : from - 1;
  }

  /** The JSON form (see the class). */
  ranges(): [number, number][] {
    return this.firsts.map((f, i) => [f, this.lasts[i]]);
  }
}
