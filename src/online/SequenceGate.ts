/**
 * Release stream messages in sequence order although they may arrive out of it (a consumer
 * delivers new messages before the redeliveries of a crashed trainer's unacked ones): what makes
 * a resumed run train the same batches as an uninterrupted one.
 *
 * 1. `next` is the sequence expected next. `offer(seq, item, now)` returns the items released by
 *    this arrival, in order: the item itself when `seq ≤ next` (a late one passes at once), and
 *    then every held item that now follows without a gap. An item with `seq > next` is held.
 * 2. Sequences already done (trained) are not waited for: `settledTo(seq)` gives the end of
 *    the run of done sequences from `seq` on (`seq − 1` when `seq` is not done;
 *    `SequenceLedger.contiguousTo`), and `next` skips past it.
 * 3. `expire(now, waitMs)`: when the oldest held item has waited `waitMs`, the gap before it is
 *    given up on (deleted messages never come): `next` jumps to the lowest held sequence and the
 *    items that follow are released.
 * 4. `clear()` returns every held item (the consumer stopped) and holds none after.
 *
 * @example
 * const g = new SequenceGate<string>(1, (seq) => seq - 1); // nothing done yet
 * g.offer(2, 'b', 0); // [] (held: 1 has not come)
 * g.offer(1, 'a', 5); // ['a', 'b']
 */
export class SequenceGate<T> {
  private readonly heldItems = new Map<number, { readonly item: T; readonly since: number }>();

  constructor(
    private expected: number,
    private readonly settledTo: (seq: number) => number,
  ) {
    this.skipSettled();
  }

  /** The sequence expected next. */
  get next(): number {
    return this.expected;
  }

  /** Items held now. */
  get held(): number {
    return this.heldItems.size;
  }

  /** An item arrived (see the class): the items released, in order. */
  offer(seq: number, item: T, now: number): T[] {
    if (seq > this.expected) {
      this.heldItems.set(seq, { item, since: now });
      return [];
    }
    const out = [item];
    if (seq === this.expected) {
      this.expected += 1;
      this.releaseFollowing(out);
    }
    return out;
  }

  /** Give up on the gap before the oldest held item if it waited `waitMs` (see the class). */
  expire(now: number, waitMs: number): T[] {
    let oldest = Infinity;
    let lowest = Infinity;
    for (const [seq, h] of this.heldItems) {
      oldest = Math.min(oldest, h.since);
      lowest = Math.min(lowest, seq);
    }
    if (this.heldItems.size === 0 || now - oldest < waitMs) return [];
    this.expected = lowest;
    const out: T[] = [];
    this.releaseFollowing(out);
    return out;
  }

  /** Every held item, in sequence order; none held after. */
  clear(): T[] {
    const out = [...this.heldItems.entries()].sort((a, b) => a[0] - b[0]).map(([, h]) => h.item);
    this.heldItems.clear();
    return out;
  }

  private skipSettled(): void {
    this.expected = this.settledTo(this.expected) + 1;
  }

  private releaseFollowing(out: T[]): void {
    for (;;) {
      this.skipSettled();
      const h = this.heldItems.get(this.expected);
      if (!h) return;
      this.heldItems.delete(this.expected);
      out.push(h.item);
      this.expected += 1;
    }
  }
}
