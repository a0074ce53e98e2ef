import { describe, expect, it } from 'vitest';
import { wallClock } from '../../src/wallClock';

describe('wallClock', () => {
  it('is Date.now() for a performance.now() reading: whole ms, between the readings around it', () => {
    for (let i = 0; i < 100; i++) {
      const before = Date.now();
      const t = wallClock(performance.now());
      const after = Date.now();
      expect(Number.isInteger(t)).toBe(true);
      // performance.timeOrigin is itself rounded by the platform: allow one ms either way.
      expect(t).toBeGreaterThanOrEqual(before - 1);
      expect(t).toBeLessThanOrEqual(after + 1);
    }
  });

  it('moves with the monotonic clock: t + 1000 ms is one second later', () => {
    const t = performance.now();
    expect(wallClock(t + 1000) - wallClock(t)).toBeGreaterThanOrEqual(999);
    expect(wallClock(t + 1000) - wallClock(t)).toBeLessThanOrEqual(1001);
  });
});
