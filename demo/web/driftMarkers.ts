import type { StepResult } from '../../streams/Step';

/** A drift to mark on a chart: where (examples seen), which detector, and whether it was only a warning. */
export interface DriftMark {
  readonly examples: number;
  readonly step: number;
  /** The detector's name (`adwin`, `pageHinkley`, `ddm`), or `drift` when only the count told. */
  readonly detector: string;
  readonly status: 'warning' | 'drift';
}

/**
 * The drifts an online run reported, for vertical markers on its charts.
 *
 * 1. Every `online.driftEvents` entry with status `drift` becomes a mark at its `examples`
 *    (with `warnings`, warnings too); the same event (step, detector, status) counts once.
 * 2. The page may not have every point (a late joiner gets a thinned history; a slow client
 *    misses points), and a missed point's events with it. `online.drifts` counts drifts so far:
 *    where it grows by more than the events seen since the previous point, the missing ones are
 *    marked at the point that shows the increase, as detector `drift`.
 *
 * @example
 * driftMarkers([
 *   { step: 5, examples: 50, online: { drifts: 1, driftEvents: [{ step: 5, examples: 50, detector: 'adwin', status: 'drift', statistic: 0.3 }] } },
 *   { step: 9, examples: 90, online: { drifts: 2, driftEvents: [] } },   // the second drift's own point was missed
 * ]); // [{ examples: 50, step: 5, detector: 'adwin', status: 'drift' }, { examples: 90, step: 9, detector: 'drift', status: 'drift' }]
 */
export function driftMarkers(points: readonly Pick<StepResult, 'step' | 'examples' | 'online'>[], { warnings = false } = {}): DriftMark[] {
  const marks: DriftMark[] = [];
  const seen = new Set<string>();
  let counted = 0;
  for (const p of points) {
    let drifts = 0;
    for (const e of p.online?.driftEvents ?? []) {
      const key = `${e.step}|${e.detector}|${e.status}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (e.status === 'drift') drifts += 1;
      if (e.status === 'drift' || warnings) marks.push({ examples: e.examples, step: e.step, detector: e.detector, status: e.status });
    }
    const total = p.online?.drifts;
    if (typeof total !== 'number') {
      counted += drifts;
      continue;
    }
    for (let k = counted + drifts; k < total; k++) marks.push({ examples: p.examples, step: p.step, detector: 'drift', status: 'drift' });
    counted = Math.max(total, counted + drifts);
  }
  return marks;
}
