import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../streams/sinks/TokenBucket';

describe('TokenBucket', () => {
  it('allows a burst, then one event per 1/perSecond, never accruing beyond the burst', () => {
    // 10 per second = one token per 100 ms; burst 3.
    const b = new TokenBucket(10, 3);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0]);
    // Empty: the next token arrives 100 ms after the last refill time (0).
    expect(b.take(0)).toBe(100);
    expect(b.take(40)).toBe(60);
    expect(b.take(100)).toBe(0);
    // 10 s idle accrues 100 tokens, capped at 3.
    expect([b.take(10_100), b.take(10_100), b.take(10_100), b.take(10_100)]).toEqual([0, 0, 0, 100]);
  });

  it('never refuses at perSecond = Infinity, and rejects bad options', () => {
    const b = new TokenBucket(Infinity, 1);
    expect(Array.from({ length: 1000 }, () => b.take(0)).every((w) => w === 0)).toBe(true);
    expect(() => new TokenBucket(0, 1)).toThrow('Expected `perSecond` > 0, got 0');
    expect(() => new TokenBucket(1, 0)).toThrow('Expected `burst` an integer ≥ 1, got 0');
  });
});
