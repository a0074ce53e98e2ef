import { describe, expect, it } from 'vitest';
import { CoalescingQueue } from '../../streams/sinks/CoalescingQueue';

describe('CoalescingQueue', () => {
  it('passes everything through while under the cap', () => {
    const q = new CoalescingQueue<number>(4);
    q.push(1);
    q.push(2);
    expect(q.length).toBe(2);
    expect(q.drain()).toEqual({ items: [1, 2], missed: 0 });
    expect(q.drain()).toEqual({ items: [], missed: 0 });
  });

  it('drops every other item from the newest back when full, counting the drops', () => {
    const q = new CoalescingQueue<number>(4);
    for (let i = 1; i <= 5; i++) q.push(i);
    // 5 > 4 → keep 5, 3, 1 (every other from the newest); 2 and 4 missed.
    expect(q.drain()).toEqual({ items: [1, 3, 5], missed: 2 });
  });

  it('stays bounded under a flood, keeps the newest, and accounts for every item', () => {
    const q = new CoalescingQueue<number>(1000);
    const n = 1_000_000;
    let maxLength = 0;
    for (let i = 0; i < n; i++) {
      q.push(i);
      maxLength = Math.max(maxLength, q.length);
    }
    expect(maxLength).toBeLessThanOrEqual(1000);
    const { items, missed } = q.drain();
    expect(items[items.length - 1]).toBe(n - 1);
    expect(items.length + missed).toBe(n);
    expect([...items].sort((a, b) => a - b)).toEqual(items);
  });

  it('adds points coalesced upstream to the missed count', () => {
    const q = new CoalescingQueue<number>(4);
    q.push(1);
    q.miss(3);
    expect(q.drain()).toEqual({ items: [1], missed: 3 });
  });

  it('rejects a cap below 2', () => {
    expect(() => new CoalescingQueue(0)).toThrow('Expected `cap` an integer ≥ 2, got 0');
  });
});
