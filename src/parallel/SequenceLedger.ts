import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';

/** A `SequenceLedger`'s JSON state. */
export interface SequenceLedgerState {
  /** Every sequence ≤ floor is accounted for. */
  readonly floor: number;
  /** Accounted sequences above the floor, ascending. */
  readonly above: readonly number[];
}

/**
 * The stream sequences an updater has accounted for (trained, or deliberately dropped), so a
 * message JetStream delivers again — a worker crashed before acking it, or the server lost an
 * ack — is recognised and not trained twice: an exactly-once effect on the model.
 *
 * Stored as a floor f (every sequence ≤ f is accounted) and the set A of accounted sequences
 * above it; after each `add`, f advances while f + 1 ∈ A. Memory is O(|A|): the sequences
 * accounted out of order.
 *
 * 1. `add(seq)` returns `true` when `seq` was new (and records it), `false` for a repeat.
 * 2. A gap that never fills (a sequence the workers never report: a message on another subject
 *    of the stream, or one terminated as malformed) would keep A growing; when |A| exceeds
 *    `maxGaps`, the floor jumps to just below A's smallest member — every older sequence counts
 *    as accounted (a message still unreported that far behind would then be taken for a repeat).
 * 3. `save()` is JSON; `new SequenceLedger(maxGaps, state)` restores it (checked, naming the field).
 *
 * @example
 * const l = new SequenceLedger();
 * l.add(1); l.add(3); // true, true: floor 1, above [3]
 * l.add(3);           // false (a repeat)
 * l.add(2);           // true: floor 3, above []
 */
export class SequenceLedger {
  private floor: number;
  private readonly above: Set<number>;
  private readonly maxGaps: number;
  private count = 0;

  constructor(maxGaps = 100_000, state?: SequenceLedgerState) {
    this.maxGaps = positiveInt('maxGaps', maxGaps);
    if (state !== undefined) {
      if (state === null || typeof state !== 'object') throw new RxgradError('ledger', 'a saved SequenceLedger state { floor, above }', state);
      positiveInt('ledger.floor', state.floor, 0);
      if (!Array.isArray(state.above)) throw new RxgradError('ledger.above', 'an array of sequences', state.above);
      state.above.forEach((s, i) => {
        positiveInt(`ledger.above[${i}]`, s, state.floor + 1);
      });
    }
    this.floor = state?.floor ?? 0;
    this.above = new Set(state?.above ?? []);
  }

  /** Whether `seq` is accounted for. */
  has(seq: number): boolean {
    return seq <= this.floor || this.above.has(seq);
  }

  /** Record `seq` (a positive integer); `false` when it was already accounted for. */
  add(seq: number): boolean {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RxgradError('sequence', 'a stream sequence (an integer ≥ 1)', seq);
    if (this.has(seq)) return false;
    this.count++;
    if (seq === this.floor + 1) {
      this.floor = seq;
      while (this.above.delete(this.floor + 1)) this.floor++;
    } else {
      this.above.add(seq);
      if (this.above.size > this.maxGaps) {
        let lowest = Infinity;
        for (const s of this.above) if (s < lowest) lowest = s;
        this.floor = lowest - 1;
        while (this.above.delete(this.floor + 1)) this.floor++;
      }
    }
    return true;
  }

  /** Sequences recorded by `add` since this ledger was created or restored. */
  get added(): number {
    return this.count;
  }

  /** The JSON state. */
  save(): SequenceLedgerState {
    return { floor: this.floor, above: [...this.above].sort((a, b) => a - b) };
  }
}
