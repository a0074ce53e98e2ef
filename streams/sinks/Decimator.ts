import { positiveInt } from '../../src/validate';

/**
 * A bounded, uniformly thinned history of a series.
 *
 * 1. Keeps the items whose index (0-based, in push order) is a multiple of `stride`, starting
 *    with stride 1.
 * 2. When more than `cap` items are kept, the stride doubles and every other kept item goes,
 *    so memory stays ≤ `cap` items however long the series runs.
 * 3. `snapshot()` returns the kept items plus the latest one (if not kept), oldest first;
 *    `size` is its length.
 *
 * @example
 * const d = new Decimator<number>(4);
 * for (let i = 0; i < 10; i++) d.push(i);
 * d.snapshot(); // [0, 4, 8, 9] (stride 4, plus the latest)
 */
export class Decimator<T> {
  private kept: T[] = [];
  private latest: T | undefined;
  private latestKept = false;
  /** Items pushed so far. */
  total = 0;
  /** Current spacing of the kept items. */
  stride = 1;

  constructor(readonly cap: number) {
    positiveInt('cap', cap, 2);
  }

  push(item: T): void {
    this.latestKept = this.total % this.stride === 0;
    if (this.latestKept) {
      this.kept.push(item);
      if (this.kept.length > this.cap) {
        this.stride *= 2;
        this.kept = this.kept.filter((_, i) => i % 2 === 0);
        this.latestKept = this.total % this.stride === 0;
      }
    }
    this.latest = item;
    this.total += 1;
  }

  /** Items `snapshot()` returns. */
  get size(): number {
    return this.kept.length + (this.latestKept || this.total === 0 ? 0 : 1);
  }

  snapshot(): T[] {
    return this.latestKept || this.total === 0 ? [...this.kept] : [...this.kept, this.latest as T];
  }
}
