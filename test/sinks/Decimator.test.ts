import { describe, expect, it } from 'vitest';
import { Decimator } from '../../streams/sinks/Decimator';

describe('Decimator', () => {
  it('keeps everything up to the cap', () => {
    const d = new Decimator<number>(5);
    for (let i = 0; i < 5; i++) d.push(i);
    expect(d.snapshot()).toEqual([0, 1, 2, 3, 4]);
    expect(d.stride).toBe(1);
    expect(d.total).toBe(5);
  });

  it('doubles the stride past the cap and always ends with the latest item', () => {
    const d = new Decimator<number>(4);
    for (let i = 0; i < 10; i++) d.push(i);
    // 0..4 → stride 2 keeps 0 2 4; then 6, 8 → five kept → stride 4 keeps 0 4 8; plus latest 9.
    expect(d.snapshot()).toEqual([0, 4, 8, 9]);
    expect(d.size).toBe(4);
    expect(d.stride).toBe(4);
    expect(d.total).toBe(10);
  });

  it('stays within cap + 1 items and uniformly spaced over a long series', () => {
    const d = new Decimator<number>(100);
    for (let i = 0; i < 100_000; i++) d.push(i);
    const s = d.snapshot();
    expect(s.length).toBeLessThanOrEqual(101);
    expect(s.length).toBeGreaterThan(50);
    const kept = s.slice(0, -1);
    for (let i = 0; i < kept.length; i++) expect(kept[i]).toBe(i * d.stride);
    expect(s[s.length - 1]).toBe(99_999);
  });

  it('is empty before any push and rejects a cap below 2', () => {
    expect(new Decimator(2).snapshot()).toEqual([]);
    expect(new Decimator(2).size).toBe(0);
    expect(() => new Decimator(1)).toThrow('Expected `cap` an integer ≥ 2, got 1');
  });
});
