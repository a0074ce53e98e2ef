import { RxgradError } from '../../src/RxgradError';
import { inRange, positiveInt } from '../../src/validate';

/**
 * A token bucket: at most `burst` events at once, refilled at `perSecond` (a client's control
 * messages on a `MetricsServer`).
 *
 * 1. Starts full (`burst` tokens); tokens accrue continuously at `perSecond`, up to `burst`.
 * 2. `take(now)` spends one token and returns 0, or returns the milliseconds until one is
 *    available (nothing spent). `perSecond = Infinity` never refuses.
 *
 * @example
 * const bucket = new TokenBucket(10, 2);
 * bucket.take(0); // 0
 * bucket.take(0); // 0
 * bucket.take(0); // 100 (one token per 100 ms)
 * bucket.take(100); // 0
 */
export class TokenBucket {
  private tokens: number;
  private at = -Infinity;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {
    if (perSecond !== Infinity) inRange('perSecond', perSecond, { min: 0, minOpen: true });
    positiveInt('burst', burst);
    this.tokens = burst;
  }

  /** Spend a token at time `now` (ms): 0 if spent, else the ms to wait for one. */
  take(now: number): number {
    if (this.perSecond === Infinity) return 0;
    if (typeof now !== 'number' || Number.isNaN(now)) throw new RxgradError('now', 'a time in ms', now);
    if (this.at !== -Infinity) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }
}
