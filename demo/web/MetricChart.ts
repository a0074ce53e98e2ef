import uPlot from 'uplot';
import { chartScale, logBounds } from './chartScale';
import { formatNumber } from './formatNumber';
import { lineSwatch } from './lineSwatch';
import { nearestIndex } from './nearestIndex';
import { robustRange } from './robustRange';
import { withAlpha } from './runStyle';
import { smooth } from './smooth';

/** One line of a chart (a run, or a run's baseline), ready to plot. */
export interface Series {
  /** The run id (clicking the line's legend entry focuses this run). */
  readonly id: string;
  /** Shown in the legend and the tooltip. */
  readonly label: string;
  readonly color: string;
  /** Dash pattern in px (empty or absent: solid). */
  readonly dash?: readonly number[];
  /** Another run has the focus: drawn faint. */
  readonly faded?: boolean;
  /** This run has the focus: drawn thicker. */
  readonly focused?: boolean;
  readonly xs: readonly number[];
  readonly ys: readonly (number | null)[];
  /** The area between this line and the other one with the same `band.key` is filled with `band.fill` (quantile bands). */
  readonly band?: { readonly key: string; readonly fill: string };
}

/** A vertical line at `x` across the chart (e.g. a drift detected at that many examples). */
export interface Marker {
  readonly x: number;
  readonly color: string;
  /** Written at the top of the line. */
  readonly label: string;
}

/** How every chart draws: shared by the toolbar. */
export interface ChartSettings {
  readonly log: boolean;
  /** EMA weight in [0, 1); 0 draws the raw points only. */
  readonly smoothing: number;
  readonly xLabel: string;
  /** Scale y to the bulk of the data (`robustRange`) instead of its extremes. */
  readonly robust: boolean;
}

/** A series as drawn: the values the main line shows (smoothed or raw) beside the raw ones. */
interface Drawn {
  readonly s: Series;
  readonly main: readonly (number | null)[];
  /** Opacity of the raw points behind a smoothed line. */
  readonly rawAlpha: number;
}

/**
 * Raw points behind a smoothed line are fainter the denser they are (3,000 noisy points of SGD
 * with batch 1 would otherwise paint the chart in one colour): 0.22·√(200/n) within [0.06, 0.22],
 * in steps of 0.02 (the chart is rebuilt when it changes).
 */
function rawAlphaOf(s: Series): number {
  if (s.faded) return 0.06;
  const a = Math.min(0.22, Math.max(0.06, 0.22 * Math.sqrt(200 / s.xs.length)));
  return Math.round(a * 50) / 50;
}

/** A range for uPlot that is never empty (a single point or a flat line would give no ticks). */
function xRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  return min === max ? [min - 1, max + 1] : [min, max];
}

function fullRange(log: boolean, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return log ? [0.1, 1] : [0, 1];
  // A constant (give or take the rounding of a smoothed line) gets a readable band around it:
  // about half a decade on each side on a log scale, 10 % of the value on a linear one.
  const flat = max - min <= 1e-9 * Math.max(Math.abs(min), Math.abs(max));
  if (log && flat) return logBounds(min / 3, max * 3);
  if (log) return [10 ** Math.floor(Math.log10(min)), 10 ** Math.ceil(Math.log10(max))];
  if (flat) {
    const pad = Math.abs(min) * 0.1 || 1;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
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
 * 1. With smoothing, each run is drawn twice: raw points faint (`rawAlphaOf`), the debiased EMA
 *    (`smooth`) solid.
 *    Each line has its run's colour and dash pattern; a faded run (another has the focus) is
 *    drawn faint, the focused one thicker.
 * 2. Log scale: used only when every value is > 0 (`chartScale`); otherwise the chart is linear
 *    and says so above its legend — no points dropped, no broken lines.
 * 3. y range: with `robust`, the weighted 5–95 % quantiles of the drawn lines (`robustRange`), so
 *    one noisy or diverging run does not squeeze the others; else the data's extremes.
 * 4. Legend under the chart: each run's value at the cursor (the point nearest to the cursor's
 *    x, `nearestIndex`), its latest value when the cursor is elsewhere; clicking an entry calls
 *    `onFocus(id)`. A tooltip beside the cursor lists the runs' values there, largest first.
 * 5. `markers` are drawn as labelled vertical lines and listed under the chart (the first six
 *    distinct labels and places).
 * 6. Two lines with the same `band.key` have the area between them filled (under the lines),
 *    point by point (they share their x values: quantiles of the same steps).
 * 7. The chart is rebuilt only when the set of lines or the settings change; otherwise new
 *    points only replace its data. Drag to zoom, double-click to reset. Width follows the card.
 *
 * @example
 * const chart = new MetricChart(div, (id) => focus(id));
 * chart.update([{ id: 'adam', label: 'Adam', color: '#4e79a7', xs: [1, 2], ys: [0.9, 0.5] }],
 *              { log: true, smoothing: 0.6, xLabel: 'step', robust: true });
 */
export class MetricChart {
  private plot: uPlot | undefined;
  private shape = '';
  private drawn: Drawn[] = [];
  private markers: readonly Marker[] = [];
  /** Pairs of drawn lines (indices into `drawn`) whose area in between is filled. */
  private bands: { readonly a: number; readonly b: number; readonly fill: string }[] = [];
  private smoothed = false;
  private robust: [number, number] | null = null;
  private cursorX: number | null = null;
  private readonly observer: ResizeObserver;
  private readonly plotBox: HTMLElement;
  private readonly note: HTMLElement;
  private readonly marks: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly tooltip: HTMLElement;
  private values: HTMLElement[] = [];

  /** The card holding the chart (the container's parent). */
  readonly card: HTMLElement;

  constructor(
    private readonly container: HTMLElement,
    private readonly onFocus: (id: string) => void = () => undefined,
  ) {
    this.card = container.parentElement ?? container;
    this.plotBox = document.createElement('div');
    this.plotBox.className = 'plot';
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'tooltip';
    this.tooltip.hidden = true;
    this.note = document.createElement('div');
    this.note.className = 'scale-note';
    this.marks = document.createElement('div');
    this.marks.className = 'marks';
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    container.replaceChildren(this.plotBox, this.note, this.marks, this.legend);
    this.observer = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.height() }));
    this.observer.observe(container);
  }

  update(series: readonly Series[], settings: ChartSettings, markers: readonly Marker[] = []): void {
    const drawn = series.filter((s) => s.xs.length > 0);
    const smoothed = settings.smoothing > 0;
    const scale = chartScale(settings.log, drawn.map((s) => s.ys));
    this.drawn = drawn.map((s) => ({ s, main: smoothed ? smooth(s.ys, settings.smoothing) : s.ys, rawAlpha: rawAlphaOf(s) }));
    this.markers = markers;
    this.smoothed = smoothed;
    this.bands = [];
    const open = new Map<string, number>();
    this.drawn.forEach(({ s }, k) => {
      if (!s.band) return;
      const a = open.get(s.band.key);
      if (a === undefined) open.set(s.band.key, k);
      else this.bands.push({ a, b: k, fill: s.band.fill });
    });
    const robust = settings.robust ? robustRange(this.drawn.filter((d) => !d.s.faded).map((d) => d.main), { log: scale.log }) : null;
    this.robust = robust && scale.log ? logBounds(...robust) : robust;
    this.note.textContent = scale.note ?? '';
    const listed = [...new Set(markers.map((m) => `${m.label} @ ${formatNumber(m.x, 6)}`))];
    this.marks.textContent = listed.length ? `vertical lines: ${listed.slice(0, 6).join(', ')}${listed.length > 6 ? `, +${listed.length - 6} more` : ''}` : '';
    const shape = JSON.stringify([this.drawn.map(({ s, rawAlpha }) => [s.id, s.label, s.color, s.dash, s.faded, s.focused, smoothed && rawAlpha, s.band]), scale.log, smoothed, settings.xLabel]);
    const data: [number[], (number | null)[]][] = [];
    for (const { s, main } of this.drawn) {
      if (smoothed) data.push([[...s.xs], [...s.ys]]);
      data.push([[...s.xs], [...main]]);
    }
    const aligned = [null, ...data] as unknown as uPlot.AlignedData;
    if (shape !== this.shape || !this.plot) {
      this.plot?.destroy();
      this.plot = undefined;
      this.plotBox.replaceChildren();
      this.shape = shape;
      this.buildLegend();
      if (drawn.length === 0) {
        this.plotBox.innerHTML = '<div class="empty">waiting for points…</div>';
        return;
      }
      this.plot = new uPlot(this.options(scale.log, smoothed, settings.xLabel), aligned, this.plotBox);
      this.plotBox.append(this.tooltip);
    } else {
      this.plot.setData(aligned);
    }
    this.showValues();
  }

  private options(log: boolean, smoothed: boolean, xLabel: string): uPlot.Options {
    const line = (s: Series, stroke: string, width: number): uPlot.Series => ({
      label: s.label,
      stroke,
      width,
      dash: s.dash?.length ? [...s.dash] : undefined,
      paths: uPlot.paths.linear!(),
      points: { show: false },
      facets: [
        { scale: 'x', auto: true },
        { scale: 'y', auto: true },
      ],
    });
    const lines = this.drawn.flatMap(({ s, rawAlpha }) => {
      const alpha = s.faded ? 0.18 : 1;
      const width = s.focused ? 3 : s.faded ? 1 : smoothed ? 2 : 1.75;
      const main = line(s, alpha === 1 ? s.color : withAlpha(s.color, alpha), width);
      return smoothed ? [line(s, withAlpha(s.color, rawAlpha), 1), main] : [main];
    });
    const axis = { stroke: '#5b6270', grid: { stroke: '#eceff3', width: 1 }, ticks: { stroke: '#d5d9e0', width: 1 }, font: '11px system-ui, sans-serif' };
    return {
      mode: 2 as uPlot.Mode,
      width: this.width(),
      height: this.height(),
      legend: { show: false },
      cursor: {
        drag: { x: true, y: true, uni: 20 },
        points: { show: false },
        // Mode 2 has no shared x: each line's point nearest to the cursor's x.
        dataIdx: (u, sidx, _idx, x) => nearestIndex((u.data[sidx] as unknown as [number[]])[0], x) ?? 0,
      },
      scales: {
        x: { time: false, auto: true, range: xRange },
        y: { distr: log ? 3 : 1, log: 10, auto: true, range: (_u, min, max) => this.robust ?? fullRange(log, min, max) },
      },
      axes: [
        { ...axis, label: xLabel, labelSize: 18, labelFont: '11px system-ui, sans-serif' },
        { ...axis, size: 56, values: (_u, vals) => vals.map(tick) },
      ],
      series: [{}, ...lines],
      hooks: {
        setCursor: [(u) => this.cursorMoved(u)],
        drawClear: [(u) => this.drawBands(u)],
        draw: [(u) => this.drawMarkers(u), (u) => this.showRange(u)],
      },
    };
  }

  private buildLegend(): void {
    this.values = this.drawn.map(({ s }) => {
      const item = document.createElement('span');
      item.className = `item${s.faded ? ' faded' : ''}${s.focused ? ' focused' : ''}`;
      item.dataset.run = s.id;
      item.dataset.style = `${s.color} ${s.dash?.join(',') ?? ''}`;
      item.title = 'click to focus this run (click again to clear)';
      const name = document.createElement('span');
      name.className = 'label';
      name.textContent = s.label;
      const value = document.createElement('span');
      value.className = 'value';
      item.append(lineSwatch(s.color, s.dash), name, value);
      item.addEventListener('click', () => this.onFocus(s.id));
      return value;
    });
    this.legend.replaceChildren(...this.values.map((v) => v.parentElement!));
  }

  /** The value each line shows at x (its point nearest to x), or its latest one when x is null. */
  private valuesAt(x: number | null): { d: Drawn; i: number }[] {
    const out: { d: Drawn; i: number }[] = [];
    for (const d of this.drawn) {
      const i = x === null ? d.s.xs.length - 1 : nearestIndex(d.s.xs, x);
      if (i !== null && i >= 0) out.push({ d, i });
    }
    return out;
  }

  private showValues(): void {
    const at = this.valuesAt(this.cursorX);
    for (const { d, i } of at) this.values[this.drawn.indexOf(d)].textContent = formatNumber(d.main[i]);
    this.legend.classList.toggle('at-cursor', this.cursorX !== null);
  }

  private cursorMoved(u: uPlot): void {
    const left = u.cursor.left;
    this.cursorX = left === undefined || left < 0 ? null : u.posToVal(left, 'x');
    this.showValues();
    if (this.cursorX === null) {
      this.tooltip.hidden = true;
      return;
    }
    const rows = this.valuesAt(this.cursorX)
      .filter(({ d, i }) => !d.s.faded && d.main[i] !== null)
      .sort((a, b) => (b.d.main[b.i] as number) - (a.d.main[a.i] as number));
    const shown = rows.slice(0, 12);
    const table = document.createElement('table');
    for (const { d, i } of shown) {
      const tr = table.insertRow();
      tr.insertCell().append(lineSwatch(d.s.color, d.s.dash));
      tr.insertCell().textContent = d.s.label;
      tr.insertCell().textContent = formatNumber(d.main[i]);
      tr.insertCell().textContent = `@ ${formatNumber(d.s.xs[i], 6)}`;
    }
    const head = document.createElement('div');
    head.className = 'x';
    // The x of the point nearest to the cursor (the runs' points share it on the step axis).
    const x0 = this.cursorX;
    const snapped = rows.reduce((best, { d, i }) => (Math.abs(d.s.xs[i] - x0) < Math.abs(best - x0) ? d.s.xs[i] : best), Infinity);
    head.textContent = `${u.axes[0].label ?? 'x'} ${formatNumber(snapped, 6)}`;
    const more = document.createElement('div');
    more.className = 'more';
    more.textContent = rows.length > shown.length ? `+${rows.length - shown.length} more` : '';
    this.tooltip.replaceChildren(head, table, more);
    this.tooltip.hidden = shown.length === 0;
    // Beside the cursor, on whichever side has room in the window.
    const over = u.over.getBoundingClientRect();
    const x = over.left + left!;
    const w = this.tooltip.offsetWidth;
    this.tooltip.style.left = `${x + 14 + w <= window.innerWidth ? x + 14 : Math.max(0, x - 14 - w)}px`;
    this.tooltip.style.top = `${over.top + 4}px`;
  }

  /** Fill between the lines of each band (as drawn: smoothed or raw), beneath them. */
  private drawBands(u: uPlot): void {
    if (this.bands.length === 0) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const line = (k: number) => u.data[this.smoothed ? 2 * k + 2 : k + 1] as unknown as [number[], (number | null)[]];
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const { a, b, fill } of this.bands) {
      const [xa, ya] = line(a);
      const [xb, yb] = line(b);
      const pts: [number, number][] = [];
      for (let i = 0; i < xa.length; i++) if (ya[i] !== null) pts.push([u.valToPos(xa[i], 'x', true), u.valToPos(ya[i]!, 'y', true)]);
      for (let i = xb.length - 1; i >= 0; i--) if (yb[i] !== null) pts.push([u.valToPos(xb[i], 'x', true), u.valToPos(yb[i]!, 'y', true)]);
      if (pts.length < 3) continue;
      ctx.fillStyle = fill;
      ctx.beginPath();
      ctx.moveTo(pts[0][0], pts[0][1]);
      for (const [x, y] of pts.slice(1)) ctx.lineTo(x, y);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  /** The y range drawn, on the plot's element (`data-y-min`, `data-y-max`): what a reader sees on the axis, for tests and tools. */
  private showRange(u: uPlot): void {
    this.plotBox.dataset.yMin = String(u.scales.y.min);
    this.plotBox.dataset.yMax = String(u.scales.y.max);
  }

  private drawMarkers(u: uPlot): void {
    if (this.markers.length === 0) return;
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
    for (const m of this.markers) {
      const x = u.valToPos(m.x, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
      ctx.strokeStyle = m.color;
      ctx.fillStyle = m.color;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(m.label, x + 3 * devicePixelRatio, top + 10 * devicePixelRatio);
    }
    ctx.restore();
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth);
  }

  private height(): number {
    return 210;
  }
}
