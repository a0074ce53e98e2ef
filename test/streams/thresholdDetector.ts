import type { DriftDetector, DriftStatus } from '../../src/drift/DriftDetector';

/** A hand-checkable detector for operator tests: drift when x ≥ 10, warning when x ≥ 5; its statistic is the last value. */
export function threshold(): DriftDetector<{ last: number }> {
  return {
    name: 'threshold',
    init: () => ({ last: 0 }),
    update(s, x): DriftStatus {
      s.last = x;
      return x >= 10 ? 'drift' : x >= 5 ? 'warning' : 'none';
    },
    statistic: (s) => s.last,
  };
}
