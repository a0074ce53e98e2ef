import uPlot from 'uplot';
import { smooth } from './smooth';

/** One run's values of a metric, ready to plot. */
export interface Series {
  readonly id: string;
  readonly color: string;
  readonly xs: readonly number[];
  readonly ys: readonly (number | null)[];
}

/** How every chart draws: shared by the toolbar. */
export interface ChartSettings {
  readonly log: boolean;
  /** EMA weight in [0, 1); 0 draws the raw points only. */
  readonly smoothing: number;
  readonly xLabel: string;
}

function faint(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A range for uPlot that is never empty (a single point or a flat line would give no ticks). */
function xRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  return min === max ? [min - 1, max + 1] : [min, max];
}

function yRange(log: boolean) {
  return (_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax => {
    if (min === null || max === null) return log ? [0.1, 1] : [0, 1];
    if (log) {
      const lo = 10 ** Math.floor(Math.log10(min));
      const hi = 10 ** Math.ceil(Math.log10(max));
      return lo === hi ? [lo / 10, hi * 10] : [lo, hi];
    }
    if (min === max) {
      const pad = Math.abs(min) * 0.1 || 1;
      return [min - pad, max + pad];
    }
    const pad = (max - min) * 0.05;
    return [min - pad, max + pad];
  };
}

function tick(v: number | null): string {
  if (v === null) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

/**
 * A uPlot chart of one metric for many runs, each run with its own x values (uPlot's faceted
 * mode 2), redrawn in place as points arrive.
 *
 * 1. With smoothing, each run is drawn twice: raw points faint, the debiased EMA (`smooth`) solid.
 * 2. The log scale drops values ≤ 0 (they have no logarithm).
 * 3. The chart is rebuilt only when the set of runs or the settings change; otherwise new
 *    points only replace its data. Drag to zoom, double-click to reset.
 *
 * @example
 * const chart = new MetricChart(div);
 * chart.update([{ id: 'adam', color: '#4e79a7', xs: [1, 2], ys: [0.9, 0.5] }], { log: true, smoothing: 0.6, xLabel: 'step' });
 */
export class MetricChart {
  private plot: uPlot | undefined;
  private shape = '';
  private readonly observer: ResizeObserver;

  /** The card holding the chart (the container's parent). */
  readonly card: HTMLElement;

  constructor(private readonly container: HTMLElement) {
    this.card = container.parentElement ?? container;
    this.observer = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.height() }));
    this.observer.observe(container);
  }

  update(series: readonly Series[], settings: ChartSettings): void {
    const drawn = series.filter((s) => s.xs.length > 0);
    const smoothed = settings.smoothing > 0;
    const shape = JSON.stringify([drawn.map((s) => [s.id, s.color]), settings.log, smoothed, settings.xLabel]);
    const data: [number[], (number | null)[]][] = [];
    for (const s of drawn) {
      const ys = settings.log ? s.ys.map((y) => (y !== null && y > 0 ? y : null)) : [...s.ys];
      if (smoothed) data.push([[...s.xs], ys]);
      data.push([[...s.xs], smoothed ? smooth(ys, settings.smoothing) : ys]);
    }
    const aligned = [null, ...data] as unknown as uPlot.AlignedData;
    if (shape !== this.shape || !this.plot) {
      this.plot?.destroy();
      this.container.replaceChildren();
      this.shape = shape;
      if (drawn.length === 0) {
        this.plot = undefined;
        this.container.innerHTML = '<div class="empty">waiting for points…</div>';
        return;
      }
      this.plot = new uPlot(this.options(drawn, settings, smoothed), aligned, this.container);
    } else {
      this.plot.setData(aligned);
    }
  }

  private options(series: readonly Series[], settings: ChartSettings, smoothed: boolean): uPlot.Options {
    const line = (stroke: string, width: number): uPlot.Series => ({
      stroke,
      width,
      paths: uPlot.paths.linear!(),
      points: { show: false },
      facets: [
        { scale: 'x', auto: true },
        { scale: 'y', auto: true },
      ],
    });
    const axis = { stroke: '#5b6270', grid: { stroke: '#eceff3', width: 1 }, ticks: { stroke: '#d5d9e0', width: 1 }, font: '11px system-ui, sans-serif' };
    return {
      mode: 2 as uPlot.Mode,
      width: this.width(),
      height: this.height(),
      legend: { show: false },
      cursor: { drag: { x: true, y: true, uni: 20 }, points: { show: false } },
      scales: { x: { time: false, auto: true, range: xRange }, y: { distr: settings.log ? 3 : 1, log: 10, auto: true, range: yRange(settings.log) } },
      axes: [
        { ...axis, label: settings.xLabel, labelSize: 18, labelFont: '11px system-ui, sans-serif' },
        { ...axis, size: 56, values: (_u, vals) => vals.map(tick) },
      ],
      series: [
        {},
        ...series.flatMap((s) => (smoothed ? [line(faint(s.color, 0.22), 1), line(s.color, 2)] : [line(s.color, 1.75)])),
      ],
    };
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth);
  }

  private height(): number {
    return 210;
  }
}
