import { describe, expect, it } from 'vitest';
import type { DriftEvent, StepResult } from '../../streams/Step';
import { driftMarkers } from '../../demo/web/driftMarkers';
import { ingestSummary } from '../../demo/web/ingestSummary';
import { onlineMetricNames, onlineSeries } from '../../demo/web/onlineSeries';

type Point = Pick<StepResult, 'step' | 'examples' | 'online'>;
const drift = (step: number, examples: number, detector = 'adwin', status: DriftEvent['status'] = 'drift'): DriftEvent => ({ step, examples, detector, status, statistic: 0.1 });

describe('onlineSeries: a test-then-train metric by examples seen, with the baselines', () => {
  it('lines up the model and every baseline on the points that carry the metric', () => {
    const points: Point[] = [
      { step: 1, examples: 10, online: { ingest: { received: 10, queued: 0, trained: 0, dropped: 0, rejected: 0, lag: 0 } } }, // no answer yet: skipped
      { step: 2, examples: 20, online: { metrics: { accuracy: 0.5 }, baselines: { noChange: { accuracy: 0.4 } } } },
      { step: 3, examples: 30, online: { metrics: { accuracy: 0.6, logLoss: 0.7 }, baselines: { noChange: { accuracy: 0.45 }, majority: { accuracy: 0.55 } } } },
      { step: 4, examples: 40, online: { metrics: { accuracy: null as unknown as number }, baselines: { noChange: { accuracy: 0.5 } } } }, // NaN arrives as null
    ];
    expect(onlineSeries(points, 'accuracy')).toEqual({
      xs: [20, 30, 40],
      model: [0.5, 0.6, null],
      // majority appears at step 3 only: null where it is missing.
      baselines: { noChange: [0.4, 0.45, 0.5], majority: [null, 0.55, null] },
    });
    expect(onlineSeries(points, 'logLoss')).toEqual({ xs: [30], model: [0.7], baselines: {} });
    expect(onlineSeries(points, 'rocAuc')).toEqual({ xs: [], model: [], baselines: {} });
  });

  it('orders the charts rolling metrics first, then cumulative ones, each by name', () => {
    expect(onlineMetricNames(['logLoss', 'rolling.logLoss', 'accuracy', 'rolling.accuracy', 'accuracy'])).toEqual(['rolling.accuracy', 'rolling.logLoss', 'accuracy', 'logLoss']);
    expect(onlineMetricNames([])).toEqual([]);
  });
});

describe('driftMarkers', () => {
  it('marks each drift event once at its examples, warnings only when asked', () => {
    const points: Point[] = [
      { step: 5, examples: 50, online: { drifts: 0, driftEvents: [drift(5, 50, 'ddm', 'warning')] } },
      { step: 6, examples: 60, online: { drifts: 1, driftEvents: [drift(6, 60)] } },
      { step: 6, examples: 60, online: { drifts: 1, driftEvents: [drift(6, 60)] } }, // the same point twice (history + live)
      { step: 7, examples: 70, online: { drifts: 3, driftEvents: [drift(7, 70, 'pageHinkley'), drift(7, 70, 'ddm')] } },
    ];
    expect(driftMarkers(points)).toEqual([
      { examples: 60, step: 6, detector: 'adwin', status: 'drift' },
      { examples: 70, step: 7, detector: 'pageHinkley', status: 'drift' },
      { examples: 70, step: 7, detector: 'ddm', status: 'drift' },
    ]);
    expect(driftMarkers(points, { warnings: true })[0]).toEqual({ examples: 50, step: 5, detector: 'ddm', status: 'warning' });
  });

  it("marks drifts whose point the page missed where the count shows them", () => {
    // Drifts at steps 3 and 4 happened on points thinned away; step 9 shows drifts = 2 with no
    // events, then step 12 has its own event (drifts = 3): two marks at 90 examples, one at 120.
    const points: Point[] = [
      { step: 1, examples: 10, online: { drifts: 0, driftEvents: [] } },
      { step: 9, examples: 90, online: { drifts: 2, driftEvents: [] } },
      { step: 12, examples: 120, online: { drifts: 3, driftEvents: [drift(12, 120)] } },
    ];
    expect(driftMarkers(points).map((m) => [m.examples, m.detector])).toEqual([
      [90, 'drift'],
      [90, 'drift'],
      [120, 'adwin'],
    ]);
  });

  it('has nothing to mark for runs without a detector', () => {
    expect(driftMarkers([{ step: 1, examples: 1, online: { metrics: { accuracy: 1 } } }, { step: 2, examples: 2 }])).toEqual([]);
  });
});

describe('ingestSummary', () => {
  it('writes the counters on one line and keeps the last rejection reason', () => {
    expect(ingestSummary({ received: 12345, queued: 2, trained: 12340, dropped: 0, rejected: 3, lastReason: 'x[2]: NaN', lag: 12.4 })).toEqual({
      text: 'received 12,345 · dropped 0 · rejected 3 · lag 12 ms',
      reason: 'x[2]: NaN',
    });
    // 2,500 ms of lag → 2.5 s; nothing rejected → no reason.
    expect(ingestSummary({ received: 5, queued: 5, trained: 0, dropped: 1000, rejected: 0, lag: 2500 })).toEqual({ text: 'received 5 · dropped 1,000 · rejected 0 · lag 2.5 s' });
  });
});
