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
});
