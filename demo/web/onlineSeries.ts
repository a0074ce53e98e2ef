import type { StepResult } from '../../streams/Step';

/** One metric of an online run over examples seen: the model's line and each baseline's. */
export interface OnlineSeries {
  /** Examples seen at each point that carries the metric. */
  readonly xs: number[];
  /** The model's value at each of those points (null where a point lacks it). */
  readonly model: (number | null)[];
  /** Each baseline's value of the same metric, by baseline name, aligned with `xs`. */
  readonly baselines: Record<string, (number | null)[]>;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A metric of a test-then-train run (`online.metrics[metric]`, and `online.baselines[b][metric]`
 * for every baseline b), plotted against examples seen.
 *
 * 1. Points without `online.metrics[metric]` or without `examples` are skipped (a step with no
 *    answer yet; a point from before the metric existed).
 * 2. A baseline is listed once any kept point reports it; it is null at the points that do not.
 * 3. Non-finite values (NaN arrives as null in JSON) are null: gaps in the line.
 *
 * @example
 * onlineSeries([{ examples: 10, online: { metrics: { accuracy: 0.7 }, baselines: { noChange: { accuracy: 0.6 } } } }], 'accuracy');
 * // { xs: [10], model: [0.7], baselines: { noChange: [0.6] } }
 */
export function onlineSeries(points: readonly Pick<StepResult, 'examples' | 'online'>[], metric: string): OnlineSeries {
  const kept = points.filter((p) => typeof p.examples === 'number' && p.online?.metrics !== undefined && Object.hasOwn(p.online.metrics, metric));
  const names = new Set<string>();
  for (const p of kept) for (const [b, values] of Object.entries(p.online!.baselines ?? {})) if (Object.hasOwn(values, metric)) names.add(b);
  return {
    xs: kept.map((p) => p.examples),
    model: kept.map((p) => finite(p.online!.metrics![metric])),
    baselines: Object.fromEntries([...names].map((b) => [b, kept.map((p) => finite(p.online!.baselines?.[b]?.[metric]))])),
  };
}

/**
 * The order of an online group's metric charts: rolling metrics first (`rolling.accuracy` —
 * what is happening now), then the cumulative ones, each part sorted by name.
 *
 * @example
 * onlineMetricNames(['accuracy', 'rolling.accuracy', 'logLoss']); // ['rolling.accuracy', 'accuracy', 'logLoss']
 */
export function onlineMetricNames(names: Iterable<string>): string[] {
  const sorted = [...new Set(names)].sort();
  return [...sorted.filter((n) => n.startsWith('rolling.')), ...sorted.filter((n) => !n.startsWith('rolling.'))];
}
