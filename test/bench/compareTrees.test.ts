import { describe, expect, it } from 'vitest';
import { compareTrees } from '../../bench/compareTrees';

// The short version of the two-tree A/B harness: this tree against itself, a few short runs.
// Timing is never asserted; what is checked is that both sides ran the fused online pipeline.
describe('bench: compareTrees, the online pipeline from two checkouts in one process', () => {
  it('reports each side’s µs per example and the paired ratio', async () => {
    const r = await compareTrees('.', '.', 2, 50);
    expect(r.runs).toBe(2);
    expect(r.rows).toBe(50);
    for (const v of [r.a, r.b, r.ratio]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
  }, 60_000);

  it('--switch: one copy, the flag false on A’s runs and true on B’s, in ABBA order (4 warm-up pairs, then the runs)', async () => {
    const seen: unknown[] = [];
    Object.defineProperty(globalThis, 'COMPARE_TREES_TEST_FLAG', { set: (v: unknown) => void seen.push(v), get: () => seen.at(-1), configurable: true });
    try {
      const r = await compareTrees('.', '.', 2, 50, 'COMPARE_TREES_TEST_FLAG');
      expect(Number.isFinite(r.ratio)).toBe(true);
      // Pairs 0 … 5: even ones A then B, odd ones B then A.
      expect(seen).toEqual([false, true, true, false, false, true, true, false, false, true, true, false]);
    } finally {
      delete (globalThis as Record<string, unknown>).COMPARE_TREES_TEST_FLAG;
    }
  }, 60_000);
});
