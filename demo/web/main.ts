/**
 * The dashboard page: connects to the metrics server, keeps every run in a `RunStore`, and
 * draws per group of runs the 2-D contours with trajectories, one chart per metric (loss,
 * the metrics runs report in `info`, lr and every other hyperparameter), the optimizer's state
 * (quantile bands of `inspectOptimizer`'s numbers per parameter; swaps drawn as vertical lines)
 * and the run table.
 * Bundled by demo/buildWeb.ts (esbuild) into dist/web/ (DASHBOARD_DIR), where the package ships it.
 */
import './style.css';
import { toCsv } from '../../streams/sinks/toCsv';
import type { StepResult } from '../../streams/Step';
import { Connection, type ConnectionState } from './Connection';
import { ContourView } from './ContourView';
import { epochAxis } from './epochAxis';
import { driftMarkers } from './driftMarkers';
import { INSPECT_TITLES, inspectCharts, inspectValues } from './inspectCharts';
import { MetricChart, type ChartSettings, type Marker, type Series } from './MetricChart';
import { onlineMetricNames, onlineSeries } from './onlineSeries';
import { RunTable } from './RunTable';
import { RunStore, type PageRun } from './RunStore';
import { withAlpha } from './runStyle';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const GROUP_TITLES: Record<string, [string, string]> = {
  trace: ['2-D traces', 'f(x) = a1·x1² + a2·x2² from (−5, −2), as in §12.3–12.10'],
  airfoil: ['Airfoil linear regression', 'NASA airfoil self-noise, 1500 rows, loss ½(ŷ − y)²'],
  online: ['Online learning', 'test-then-train on arriving data, by examples seen · dashed: baselines · vertical lines: drifts detected'],
};
const METRIC_TITLES: Record<string, string> = {
  loss: 'loss',
  lr: 'learning rate',
  'info.fullLoss': 'loss on all rows',
};

interface GroupView {
  readonly section: HTMLElement;
  readonly grid: HTMLElement;
  readonly table: RunTable;
  readonly charts: Map<string, MetricChart>;
  /** Charts of the optimizer's state (`inspectOptimizer`), by `stepSize.w` …, after the others. */
  readonly bands: Map<string, MetricChart>;
  readonly contours: Map<string, ContourView>;
}

/** What a run reports in `info` that is not a chart of its own: the optimizer's state (band charts) and which optimizer is in force (table, swap lines). */
const notCharted = (n: string) => n.startsWith('info.override.') || n.startsWith('info.inspect.') || n === 'info.optimizer' || n === 'info.optimizerSince';

const store = new RunStore();
const groups = new Map<string, GroupView>();
const dirty = new Set<string>();
let everything = true;
/** The run each group has in focus (others faded), if any. */
const focused = new Map<string, string>();

/** Focus a run in its group's charts, contours and table; focusing it again clears the focus. */
function toggleFocus(group: string, id: string): void {
  if (focused.get(group) === id) focused.delete(group);
  else focused.set(group, id);
  dirty.add(group);
  schedule();
}

function settings(): ChartSettings & { axis: string } {
  const axis = $<HTMLSelectElement>('x-axis').value;
  return {
    axis,
    log: $<HTMLInputElement>('log-scale').checked,
    smoothing: Number($<HTMLInputElement>('smoothing').value),
    xLabel: axis === 'wall' ? 'wall time (s)' : axis,
    robust: $<HTMLInputElement>('robust').checked,
  };
}

function notify(text: string, ok: boolean): void {
  const toast = document.createElement('div');
  toast.className = ok ? 'toast' : 'toast bad';
  toast.textContent = ok ? `✓ ${text}` : `✗ ${text}`;
  $('toasts').append(toast);
  setTimeout(() => toast.remove(), ok ? 2500 : 6000);
}

function showConnection(state: ConnectionState): void {
  const pill = $('connection');
  pill.className = `pill ${state.kind}`;
  pill.textContent =
    state.kind === 'live' ? 'live' :
    state.kind === 'connecting' ? 'connecting…' :
    state.kind === 'retrying' ? `disconnected — retrying in ${(state.inMs / 1000).toFixed(1)} s` :
    `not allowed: ${state.reason}`;
}

const connection = new Connection(
  window.location,
  (msg) => {
    const changed = store.apply(msg);
    if (msg.type === 'hello') {
      // A (re)connection starts afresh: the server may have other runs now.
      for (const view of groups.values()) view.section.remove();
      groups.clear();
      focused.clear();
      everything = true;
    }
    for (const id of changed) {
      const run = store.runs.get(id);
      if (run) dirty.add(run.info.group);
    }
    schedule();
  },
  showConnection,
);

function card(parent: HTMLElement, title: string, note?: string, first = false): HTMLElement {
  const c = document.createElement('div');
  c.className = 'card';
  const h = document.createElement('h3');
  h.textContent = title;
  if (note) {
    const s = document.createElement('small');
    s.textContent = note;
    h.append(s);
  }
  const body = document.createElement('div');
  c.append(h, body);
  // Contours go before the charts, whenever their runs arrive.
  const next = first ? parent.querySelector(':scope > .card:not(.contour)') : null;
  if (next) next.before(c);
  else parent.append(c);
  if (first) c.classList.add('contour');
  return body;
}

function groupView(name: string): GroupView {
  let view = groups.get(name);
  if (view) return view;
  $('no-runs')?.remove();
  const section = document.createElement('section');
  section.className = 'group';
  section.dataset.group = name;
  const [title, note] = GROUP_TITLES[name] ?? [name, ''];
  const h2 = document.createElement('h2');
  h2.textContent = title;
  const small = document.createElement('small');
  small.textContent = note;
  h2.append(small);
  const grid = document.createElement('div');
  grid.className = 'grid';
  const tableCard = document.createElement('details');
  tableCard.className = 'card table-card';
  tableCard.open = true;
  const caption = document.createElement('summary');
  caption.textContent = 'runs';
  tableCard.append(caption);
  section.append(h2, grid, tableCard);
  $('groups').append(section);
  const table = new RunTable(
    tableCard,
    connection,
    notify,
    (id, visible) => {
      store.setHidden(id, !visible);
      dirty.add(name);
      schedule();
    },
    (id) => toggleFocus(name, id),
  );
  view = { section, grid, table, charts: new Map(), bands: new Map(), contours: new Map() };
  groups.set(name, view);
  return view;
}

/** Charts added from the toolbar's "add chart" menu, e.g. `gradNorm`, `hyper.momentum`. */
const extraMetrics = new Set<string>();

/**
 * A group's charts, in display order: the test-then-train metrics of online runs (rolling
 * first), loss, what runs report in `info`, lr, the hyperparameters that changed during some
 * run, then the charts added from the toolbar.
 */
function metricsOf(runs: readonly PageRun[]): string[] {
  const online = new Set<string>();
  const info = new Set<string>();
  const varying = new Set<string>();
  const present = new Set<string>(['gradNorm', 'updateNorm', 'time']);
  for (const r of runs) {
    for (const n of r.names) {
      present.add(n);
      if (n.startsWith('info.') && !notCharted(n)) info.add(n);
      if (n.startsWith('online.')) online.add(n.slice(7));
    }
    for (const k of r.varying) if (k !== 'lr') varying.add(`hyper.${k}`);
  }
  const base = [...onlineMetricNames(online).map((n) => `online.${n}`), 'loss', ...[...info].sort(), 'lr', ...[...varying].sort()];
  return [...base, ...[...extraMetrics].filter((m) => present.has(m) && !base.includes(m))];
}

/** Keep the "add chart" menu listing every metric some run reports. */
function refreshMetricMenu(): void {
  const menu = $<HTMLSelectElement>('add-metric');
  const names = new Set<string>(['gradNorm', 'updateNorm', 'time']);
  for (const r of store.runs.values()) for (const n of r.names) if (n !== 'hyper.lr' && !n.startsWith('online.') && !n.startsWith('info.inspect.')) names.add(n);
  const wanted = [...names].sort();
  const have = Array.from(menu.options).slice(1).map((o) => o.value);
  if (wanted.join() === have.join()) return;
  menu.replaceChildren(new Option('add a chart…', ''), ...wanted.map((n) => new Option(n, n)));
}

function valueOf(p: StepResult, metric: string): number | null {
  const v = metric.startsWith('info.') ? p.info?.[metric.slice(5)] : metric.startsWith('hyper.') ? p.hyper?.[metric.slice(6)] : (p as unknown as Record<string, number>)[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function xsOf(run: PageRun, axis: string, t0: number): number[] {
  if (axis === 'epoch') return epochAxis(run.points);
  if (axis === 'examples') return run.points.map((p) => p.examples);
  if (axis === 'wall') return run.points.map((p) => (p.wallTime - t0) / 1000);
  return run.points.map((p) => p.step);
}

function drawGroup(name: string, s: ReturnType<typeof settings>, t0: number): void {
  const view = groupView(name);
  const runs = store.group(name);
  const shown = runs.filter((r) => !r.hidden);
  // A focused run that is hidden (or gone) fades nothing.
  const focus = shown.find((r) => r.info.id === focused.get(name))?.info.id;
  view.table.update(runs, focus);
  view.section.querySelector('summary')!.textContent = `${plural(runs.length, 'run')} · ${runs.filter((r) => r.info.status === 'running').length} running`;

  for (const run of runs) {
    const o = run.info.objective;
    if (!o) continue;
    const key = o.a.join(',');
    if (!view.contours.has(key)) {
      const label = `f(x) = ${o.a[0] === 1 ? '' : o.a[0]}x1² + ${o.a[1]}x2²`;
      view.contours.set(key, new ContourView(card(view.grid, label, 'trajectories from x0', true), o));
    }
  }
  for (const [key, contour] of view.contours) {
    contour.draw(
      shown
        .filter((r) => r.info.objective?.a.join(',') === key)
        .map((r) => ({
          name: r.info.name.replace(/ on \S+/, ''),
          color: focus !== undefined && r.info.id !== focus ? withAlpha(r.color, 0.2) : r.color,
          points: [r.info.objective!.x0, ...r.points.filter((p) => p.values?.x).map((p) => p.values!.x)],
        })),
    );
  }

  // Online groups are read by examples seen (where drifts are marked) instead of steps.
  const online = runs.some((r) => r.online);
  const axis = online && s.axis === 'step' ? 'examples' : s.axis;
  const xsByRun = new Map(shown.map((r) => [r, xsOf(r, axis, t0)]));
  const chartSettings = { ...s, xLabel: axis === 'wall' ? 'wall time (s)' : axis };
  const markers: Marker[] = !online ? [] : shown.flatMap((r) => driftMarkers(r.points).map((m) => ({ x: m.examples, color: r.color, label: m.detector })));
  // A swap of the optimizer (`info.optimizerSince`) is a vertical line at its first step, on any axis.
  const swaps: Marker[] = shown.flatMap((r) => {
    const names = r.info.optimizers ?? [];
    const xs = xsByRun.get(r)!;
    return r.points.flatMap((p, i) => {
      const since = p.info?.optimizerSince;
      const before = r.points[i - 1]?.info?.optimizerSince;
      return typeof since === 'number' && since > 0 && since !== before ? [{ x: xs[i], color: r.color, label: `→ ${names[p.info.optimizer] ?? p.info.optimizer}` }] : [];
    });
  });
  const metrics = metricsOf(runs);
  for (const [metric, chart] of view.charts) {
    if (metrics.includes(metric)) continue;
    chart.card.remove();
    view.charts.delete(metric);
  }
  for (const metric of metrics) {
    let chart = view.charts.get(metric);
    if (!chart) {
      const title = METRIC_TITLES[metric] ?? metric.replace(/^(hyper|info|online)\./, '');
      const note = metric.startsWith('hyper.') ? 'hyperparameter' : metric.startsWith('online.') ? 'test-then-train · dashed: baselines' : undefined;
      const body = card(view.grid, title, note);
      if (extraMetrics.has(metric)) {
        const close = document.createElement('button');
        close.className = 'close';
        close.textContent = '×';
        close.title = 'remove this chart';
        close.addEventListener('click', () => {
          extraMetrics.delete(metric);
          redrawAll();
        });
        body.previousElementSibling!.append(close);
      }
      body.className = 'chart';
      body.dataset.metric = metric;
      chart = new MetricChart(body, (id) => toggleFocus(name, id));
      view.charts.set(metric, chart);
    }
    if (metric.startsWith('online.')) {
      // Averages over many examples (accuracy in [0, 1] …) have no outliers to ignore, and a drop
      // after a drift is the very thing to see: these charts keep their full range, linear.
      chart.update(onlineLines(shown, metric.slice(7), focus), { ...s, xLabel: 'examples', robust: false, log: false }, markers);
      continue;
    }
    const series: Series[] = [];
    for (const r of shown) {
      const xs = xsByRun.get(r)!;
      const ys = r.points.map((p) => valueOf(p, metric));
      const keep = ys.map((y, i) => (y === null ? -1 : i)).filter((i) => i >= 0);
      series.push({
        id: r.info.id,
        label: r.info.name,
        color: r.color,
        dash: r.dash,
        faded: focus !== undefined && r.info.id !== focus,
        focused: r.info.id === focus,
        xs: keep.map((i) => xs[i]),
        ys: keep.map((i) => ys[i]),
      });
    }
    chart.update(series, chartSettings, [...(axis === 'examples' ? markers : []), ...swaps]);
  }
  drawBands(name, view, shown, xsByRun, chartSettings, focus, swaps);
  // Cards keep the order of `metrics`, whenever their first points arrived.
  const cards = [...metrics.map((m) => view.charts.get(m)!.card), ...[...view.bands.values()].map((c) => c.card)];
  const current = Array.from(view.grid.children).filter((c) => !c.classList.contains('contour'));
  if (cards.some((c, i) => current[i] !== c)) view.grid.append(...cards);
}

/** Dash patterns and opacities of the quantile lines of a band chart, by distance from the median. */
const BAND_STYLE: Readonly<Record<string, { readonly dash: readonly number[]; readonly alpha: number; readonly fill: number }>> = {
  inner: { dash: [5, 3], alpha: 0.6, fill: 0.16 },
  outer: { dash: [1, 3], alpha: 0.35, fill: 0.08 },
};

/**
 * The group's charts of the optimizer's state: per quantity and parameter, each run's quantiles
 * as lines (median solid in the run's colour, 25–75 % dashed, 5–95 % dotted, fainter) with the
 * bands between symmetric pairs filled, the update ratio as one line; cards class `band-chart`, `data-inspect="stepSize.w"`.
 */
function drawBands(group: string, view: GroupView, shown: readonly PageRun[], xsByRun: Map<PageRun, number[]>, s: ChartSettings, focus: string | undefined, swaps: readonly Marker[]): void {
  const charts = inspectCharts(new Set(shown.flatMap((r) => [...r.names])));
  const keys = new Set(charts.map((c) => c.key));
  for (const [key, chart] of view.bands) {
    if (keys.has(key)) continue;
    chart.card.remove();
    view.bands.delete(key);
  }
  for (const c of charts) {
    let chart = view.bands.get(c.key);
    if (!chart) {
      const body = card(view.grid, `${INSPECT_TITLES[c.quantity] ?? c.quantity} · ${c.param}`, c.labels.length ? `optimizer state · quantiles ${[...c.labels].sort((a, b) => parseFloat(a.slice(1)) - parseFloat(b.slice(1))).join(' ')}` : 'optimizer state');
      body.className = 'band-chart';
      body.dataset.inspect = c.key;
      chart = new MetricChart(body, (id) => toggleFocus(group, id));
      view.bands.set(c.key, chart);
    }
    const series: Series[] = shown.flatMap((r) => {
      const xs = xsByRun.get(r)!;
      const faded = focus !== undefined && r.info.id !== focus;
      return (c.labels.length ? c.labels : [undefined]).map((label) => {
        const { index, ys } = inspectValues(r.points, c, label);
        const p = label ? Math.abs(Number(label.slice(1).replace('_', '.')) - 50) : 0;
        const style = p === 0 ? undefined : p <= 25 ? BAND_STYLE.inner : BAND_STYLE.outer;
        // Each symmetric pair of quantiles (5–95 %, 25–75 %) is a filled band.
        const band = style && { key: `${r.info.id} ${p}`, fill: withAlpha(r.color, (faded ? 0.25 : 1) * style.fill) };
        return {
          ...(band && { band }),
          id: r.info.id,
          label: label ? `${label} · ${r.info.name}` : r.info.name,
          color: style ? withAlpha(r.color, style.alpha) : r.color,
          dash: style?.dash ?? r.dash,
          faded,
          focused: r.info.id === focus,
          xs: index.map((i) => xs[i]),
          ys,
        };
      });
    });
    chart.update(series, s, swaps);
  }
}

/** An online metric's lines: each run's model (its colour and dash) and its baselines (its colour, dashed). */
function onlineLines(runs: readonly PageRun[], metric: string, focus: string | undefined): Series[] {
  return runs.flatMap((r) => {
    const { xs, model, baselines } = onlineSeries(r.points, metric);
    const faded = focus !== undefined && r.info.id !== focus;
    const own = { id: r.info.id, faded, focused: r.info.id === focus, xs };
    return [
      { ...own, label: r.info.name, color: r.color, dash: r.dash, ys: model },
      ...Object.entries(baselines).map(([b, ys], k) => ({ ...own, label: `${b} · ${r.info.name}`, color: r.color, dash: BASELINE_DASHES[k % BASELINE_DASHES.length], ys })),
    ];
  });
}

/** Dash patterns of a run's baselines (the run itself is solid or has its own pattern). */
const BASELINE_DASHES: readonly (readonly number[])[] = [[6, 4], [2, 3], [10, 3, 2, 3]];

function plural(n: number, noun: string): string {
  return `${n.toLocaleString()} ${noun}${n === 1 ? '' : 's'}`;
}

function summary(): void {
  const runs = [...store.runs.values()];
  const running = runs.filter((r) => r.info.status === 'running').length;
  const points = runs.reduce((n, r) => n + Math.max(r.info.points, r.points.length + r.missed + r.thinned), 0);
  $('summary').textContent = `${plural(runs.length, 'run')} · ${running} running · ${plural(points, 'point')}`;
}

let frame = 0;
let lastDraw = 0;
function schedule(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    const wait = 100 - (performance.now() - lastDraw);
    if (wait > 0) {
      frame = 0;
      setTimeout(schedule, wait);
      return;
    }
    frame = 0;
    lastDraw = performance.now();
    const s = settings();
    const t0 = Math.min(...[...store.runs.values()].map((r) => r.points[0]?.wallTime ?? Infinity));
    const todo = everything ? store.groups() : [...dirty];
    everything = false;
    dirty.clear();
    for (const g of todo) drawGroup(g, s, t0);
    summary();
    refreshMetricMenu();
  });
}

function redrawAll(): void {
  everything = true;
  schedule();
}

$('x-axis').addEventListener('change', redrawAll);
$('log-scale').addEventListener('change', redrawAll);
$('robust').addEventListener('change', redrawAll);
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || focused.size === 0) return;
  for (const g of focused.keys()) dirty.add(g);
  focused.clear();
  schedule();
});
$('smoothing').addEventListener('input', () => {
  $('smoothing-value').textContent = Number($<HTMLInputElement>('smoothing').value).toFixed(2);
  redrawAll();
});
$('add-metric').addEventListener('change', (e) => {
  const menu = e.target as HTMLSelectElement;
  if (menu.value) extraMetrics.add(menu.value);
  menu.value = '';
  redrawAll();
});
$('show-all').addEventListener('click', () => {
  for (const id of store.runs.keys()) store.setHidden(id, false);
  document.querySelectorAll<HTMLInputElement>('td.vis input').forEach((box) => (box.checked = true));
  redrawAll();
});
$('download-csv').addEventListener('click', () => {
  const csv = toCsv([...store.runs.values()].map((r) => ({ id: r.info.id, name: r.info.name, points: r.points })));
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  a.download = `rxgrad-runs-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
