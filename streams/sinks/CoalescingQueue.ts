import { positiveInt } from '../../src/validate';

/**
 * A bounded queue for a consumer that may fall behind (a slow dashboard client).
 *
 * 1. `push` never blocks and never fails.
 * 2. When the queue would exceed `cap`, it is coalesced: every other queued item is dropped,
 *    counting back from the newest (so the newest is always kept), and the drops are counted
 *    in `missed`. Memory stays ≤ `cap` items.
 * 3. `drain()` returns the queued items (oldest first) and the count missed since the last
 *    drain, and empties the queue; `miss(n)` adds to that count.
 *
 * @example
 * const q = new CoalescingQueue<number>(4);
 * for (let i = 1; i <= 5; i++) q.push(i);
 * q.drain(); // { items: [1, 3, 5], missed: 2 }
 */
export class CoalescingQueue<T> {
  private items: T[] = [];
  private missed = 0;

  constructor(readonly cap: number) {
    positiveInt('cap', cap, 2);
  }

  /** Items waiting. */
  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    const n = this.items.length;
    if (n > this.cap) {
      this.items = this.items.filter((_, i) => (n - 1 - i) % 2 === 0);
      this.missed += n - this.items.length;
    }
  }

  /** Count `n` items as missed without queueing them (they were coalesced upstream). */
  miss(n: number): void {
    this.missed += n;
  }

  drain(): { items: T[]; missed: number } {
    const out = { items: this.items, missed: this.missed };
    this.items = [];
    this.missed = 0;
    return out;
  }
}
