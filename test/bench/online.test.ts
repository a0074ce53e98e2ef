import { describe, expect, it } from 'vitest';
import { benchOnline, onlineReport } from '../../bench/online';

// The short CI version of `npm run bench -- --online`: one round over a few hundred rows. Timing
// is never asserted; what is checked is that every side ran and the pipeline took the fused path.
describe('bench: online logistic regression against a plain-JS loop', () => {
  it('measures every side and reports the fused path as taken', async () => {
    const f = await benchOnline(1, 200, 100);
    expect(f.fused).toBe(true);
    expect(f.examples).toBe(200);
    expect(f.shortExamples).toBe(100);
    for (const v of [f.rxgrad, f.short, f.general, f.plain, f.tfjs, f.arithmetic, f.first, f.ratio, f.shortRatio, f.generalRatio, f.firstRatio, f.tfjsRatio, f.arithmeticRatio, f.pipelineShare]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    const lines = onlineReport(f, 1);
    expect(lines.join('\n')).toContain('fused path taken: true');
  }, 120_000);
});
