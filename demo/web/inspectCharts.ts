import type { StepResult } from '../../streams/Step';

/** One chart of an optimizer's state: a quantity of one parameter, and the quantiles reported for it. */
export interface InspectChart {
  /** `stepSize.w`: the chart's key (`data-inspect`). */
  readonly key: string;
  /** `stepSize`, `mAbs` or `updateRatio`. */
  readonly quantity: string;
  readonly param: string;
  /** Quantile labels, outermost first, the median last (`p5`, `p95`, `p25`, `p75`, `p50`); empty for `updateRatio`. */
  readonly labels: readonly string[];
}

/** Titles of the quantities `inspectOptimizer` reports. */
export const INSPECT_TITLES: Readonly<Record<string, string>> = {
  stepSize: 'step size η/(√v̂+ε)',
  mAbs: '|m̂|',
  updateRatio: '‖u‖/‖x‖',
};

const PREFIX = 'info.inspect.';
const LABEL = /^p\d+(_\d+)?$/;

/** The probability of a quantile label (`p2_5` → 0.025). */
function probability(label: string): number {
  return Number(label.slice(1).replace('_', '.')) / 100;
}

/**
 * The charts of `inspectOptimizer`'s numbers among a group's metric names (`info.inspect.…`).
 *
 * 1. `info.inspect.<quantity>.<param>.<pNN>` names join one chart per quantity and parameter
 *    (parameter names may hold dots); `info.inspect.updateRatio.<param>` is a chart of one line.
 * 2. Labels are ordered outermost quantile pair first, the median last, so the median is drawn
 *    on top; charts by quantity (stepSize, mAbs, updateRatio), then parameter.
 *
 * @example
 * inspectCharts(['info.inspect.stepSize.w.p5', 'info.inspect.stepSize.w.p50', 'info.inspect.updateRatio.w']);
 * // [{ key: 'stepSize.w', quantity: 'stepSize', param: 'w', labels: ['p5', 'p50'] }, { key: 'updateRatio.w', …, labels: [] }]
 */
export function inspectCharts(names: Iterable<string>): InspectChart[] {
  const charts = new Map<string, { quantity: string; param: string; labels: Set<string> }>();
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const rest = name.slice(PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot <= 0) continue;
    const quantity = rest.slice(0, dot);
    let param = rest.slice(dot + 1);
    let label: string | undefined;
    const last = param.lastIndexOf('.');
    if (quantity !== 'updateRatio' && last > 0 && LABEL.test(param.slice(last + 1))) {
      label = param.slice(last + 1);
      param = param.slice(0, last);
    }
    const key = `${quantity}.${param}`;
    const chart = charts.get(key) ?? { quantity, param, labels: new Set<string>() };
    if (label) chart.labels.add(label);
    charts.set(key, chart);
  }
  const order = Object.keys(INSPECT_TITLES);
  const rank = (q: string) => (order.includes(q) ? order.indexOf(q) : order.length);
  return [...charts.entries()]
    .map(([key, c]) => ({ key, quantity: c.quantity, param: c.param, labels: [...c.labels].sort((a, b) => Math.abs(probability(b) - 0.5) - Math.abs(probability(a) - 0.5) || probability(a) - probability(b)) }))
    .sort((a, b) => rank(a.quantity) - rank(b.quantity) || a.param.localeCompare(b.param));
}

/**
 * The values of one line of an inspect chart in a run's points: the points that carry it (the
 * inspection runs every n steps), as indices into `points` and values.
 *
 * @example
 * inspectValues(points, { key: 'stepSize.w', quantity: 'stepSize', param: 'w', labels: ['p50'] }, 'p50'); // { index: [9, 19], ys: [0.01, 0.012] }
 */
export function inspectValues(points: readonly StepResult[], chart: InspectChart, label?: string): { index: number[]; ys: number[] } {
  const key = `inspect.${chart.key}${label ? `.${label}` : ''}`;
  const index: number[] = [];
  const ys: number[] = [];
  points.forEach((p, i) => {
    const v = p.info?.[key];
    if (typeof v === 'number' && Number.isFinite(v)) {
      index.push(i);
      ys.push(v);
    }
  });
  return { index, ys };
}
