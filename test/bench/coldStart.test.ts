import { describe, expect, it } from 'vitest';
import { benchColdStart } from '../../bench/coldStart';

// The short CI version of `npm run bench`'s cold-start measurement: one fresh process, a few steps;
// it builds the child from the sources, runs it and reports every figure. Timing is never asserted.
describe('bench: cold start against warm in fresh processes', () => {
  it('spawns a fresh process that times its first steps, then the same steps warm', async () => {
    const f = await benchColdStart(1, 20, 2);
    expect(f.runs).toHaveLength(1);
    expect(f.steps).toBe(20);
    for (const v of [f.importMs, f.setupMs, f.firstMs, f.buildMs, f.restMs, f.coldMs, f.warmMs, f.ratio]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(0);
    }
    // Building the pipeline is part of the first step, which is part of the whole run.
    expect(f.runs[0].buildMs).toBeLessThan(f.runs[0].firstMs);
    expect(f.runs[0].firstMs).toBeLessThan(f.runs[0].coldMs * f.steps);
    // CPU time is counted by the kernel's accounting: a few short steps may round to 0.
    for (const v of [f.coldCpuMs, f.warmCpuMs]) expect(v).toBeGreaterThanOrEqual(0);
    expect(typeof f.cpuRatio).toBe('number');
  }, 60_000);
});
