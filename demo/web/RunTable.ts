import type { OnlineReport, StepResult } from '../../streams/Step';
import type { Connection, ControlRequest } from './Connection';
import { formatNumber } from './formatNumber';
import { ingestSummary } from './ingestSummary';
import { lineSwatch } from './lineSwatch';
import { onlineMetricNames } from './onlineSeries';
import type { PageRun } from './RunStore';

/** Show a short message (an ack or a rejection) to the user. */
export type Notify = (text: string, ok: boolean) => void;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

interface Row {
  readonly tr: HTMLTableRowElement;
  readonly form: HTMLTableRowElement;
  readonly visible: HTMLInputElement;
  readonly status: HTMLElement;
  readonly step: HTMLElement;
  readonly epoch: HTMLElement;
  readonly loss: HTMLElement;
  readonly extra: HTMLElement;
  readonly lr: HTMLElement;
  readonly config: HTMLElement;
  readonly pause: HTMLButtonElement;
  readonly stop: HTMLButtonElement;
  readonly restart: HTMLButtonElement;
  readonly slider?: HTMLInputElement;
  readonly sliderValue?: HTMLElement;
  readonly optimizer?: HTMLSelectElement;
  readonly optimizerNote?: HTMLElement;
}

/**
 * The table of one group's runs: visibility, configuration, latest values and controls.
 *
 * 1. One row per run, built once and updated in place (a slider being dragged keeps its value).
 * 2. Controls send control messages through the connection and report the answer via `notify`:
 *    pause / resume, stop, a log-scale learning-rate slider (runs with a live `lr`), and
 *    restart with edited hyperparameters (an inline form of the run's `editable` values), and a
 *    select of the run's `optimizers` (runs with a swappable optimizer) showing the one in force
 *    (`info.optimizer` of the latest point) and since which step; choosing another swaps it.
 * 3. Unticking a run hides it from the charts and contours (`onVisibility`): the ticked runs
 *    are the ones compared.
 * 4. Clicking a run's name focuses it (`onFocus`): the page fades the others; the focused row
 *    is highlighted (`update(runs, focused)`).
 *
 * @example
 * const table = new RunTable(div, connection, notify, (id, visible) => { store.setHidden(id, !visible); redraw(); }, (id) => focus(id));
 * table.update(store.group('airfoil'), 'airfoil-adam');
 */
export class RunTable {
  private readonly body: HTMLTableSectionElement;
  private readonly rows = new Map<string, Row>();

  constructor(
    container: HTMLElement,
    private readonly conn: Connection,
    private readonly notify: Notify,
    private readonly onVisibility: (id: string, visible: boolean) => void,
    private readonly onFocus: (id: string) => void,
  ) {
    const table = el('table', 'runs');
    const head = table.createTHead().insertRow();
    for (const h of ['', 'Run', 'Status', 'Step', 'Epoch', 'Loss', 'Latest', 'lr', 'Configuration', 'Controls']) head.append(el('th', undefined, h));
    this.body = table.createTBody();
    container.append(table);
  }

  update(runs: readonly PageRun[], focused?: string): void {
    for (const run of runs) {
      const row = this.rows.get(run.info.id) ?? this.create(run);
      this.fill(row, run);
      row.tr.classList.toggle('focused', run.info.id === focused);
      row.tr.classList.toggle('faded', focused !== undefined && run.info.id !== focused);
    }
  }

  private send(msg: ControlRequest): void {
    this.conn.send(msg).then(
      (detail) => this.notify(detail, true),
      (err: Error) => this.notify(err.message, false),
    );
  }

  private create(run: PageRun): Row {
    const { id } = run.info;
    const tr = el('tr');
    tr.dataset.run = id;
    const visible = el('input');
    visible.type = 'checkbox';
    visible.checked = !run.hidden;
    visible.title = 'show in charts';
    visible.addEventListener('change', () => this.onVisibility(id, visible.checked));
    const first = el('td', 'vis');
    first.append(visible, lineSwatch(run.color, run.dash));
    const name = el('td', 'name', run.info.name);
    name.title = 'click to focus this run in the charts (click again to clear)';
    name.addEventListener('click', () => this.onFocus(id));
    if (run.info.restartOf) name.append(el('div', 'sub', `restart of ${run.info.restartOf}`));
    const cells = ['status', 'num step', 'num epoch', 'num loss', 'num extra', 'num lr', 'config'].map((c) => el('td', c));
    const controls = el('td', 'controls');
    const pause = el('button', 'pause', 'Pause');
    pause.addEventListener('click', () => this.send({ type: pause.dataset.action === 'resume' ? 'resume' : 'pause', run: id }));
    const stop = el('button', 'stop', 'Stop');
    stop.addEventListener('click', () => this.send({ type: 'stop', run: id }));
    const restart = el('button', 'restart', 'Restart…');
    controls.append(pause, stop);
    let slider: HTMLInputElement | undefined;
    let sliderValue: HTMLElement | undefined;
    const interval = run.info.live.lr;
    if (interval) {
      const lr0 = run.info.editable.lr ?? (run.info.config.lr as number | undefined) ?? 0.01;
      const lo = Math.log10(lr0) - 2;
      const hi = Math.min(Math.log10(lr0) + 1, interval.max !== undefined ? Math.log10(interval.max) : Infinity);
      slider = el('input', 'lr-slider');
      slider.type = 'range';
      slider.min = lo.toFixed(2);
      slider.max = hi.toFixed(2);
      slider.step = '0.01';
      slider.value = Math.log10(lr0).toFixed(2);
      slider.title = 'learning rate (log scale), applies from the next step';
      sliderValue = el('span', 'lr-value', formatNumber(lr0, 3));
      const s = slider;
      const v = sliderValue;
      s.addEventListener('input', () => (v.textContent = formatNumber(10 ** Number(s.value), 3)));
      s.addEventListener('change', () => this.send({ type: 'set', run: id, name: 'lr', value: Number((10 ** Number(s.value)).toPrecision(4)) }));
      const wrap = el('label', 'lr-control');
      wrap.append(el('span', 'lr-label', 'lr'), s, v);
      controls.append(wrap);
    }
    let optimizer: HTMLSelectElement | undefined;
    let optimizerNote: HTMLElement | undefined;
    const optimizers = run.info.optimizers ?? [];
    if (optimizers.length > 0) {
      const select = el('select', 'optimizer');
      select.title = 'optimizer in force; choosing another swaps it from the next step (its state starts afresh)';
      select.append(...optimizers.map((o) => new Option(o, o)));
      select.addEventListener('change', () => this.send({ type: 'optimizer', run: id, name: select.value }));
      optimizer = select;
      optimizerNote = el('span', 'optimizer-since');
      const wrap = el('label', 'optimizer-control');
      wrap.append(el('span', 'lr-label', 'optimizer'), select, optimizerNote);
      controls.append(wrap);
    }
    controls.append(restart);
    tr.append(first, name, ...cells, controls);
    const form = el('tr', 'restart-form');
    form.hidden = true;
    restart.addEventListener('click', () => {
      form.hidden = !form.hidden;
      if (!form.hidden) this.fillForm(form, run);
    });
    this.body.append(tr, form);
    const [status, step, epoch, loss, extra, lr, config] = cells;
    const row: Row = { tr, form, visible, status, step, epoch, loss, extra, lr, config, pause, stop, restart, slider, sliderValue, optimizer, optimizerNote };
    this.rows.set(id, row);
    return row;
  }

  private fillForm(form: HTMLTableRowElement, run: PageRun): void {
    const td = el('td');
    td.colSpan = 10;
    const editable = Object.entries(run.info.editable);
    const inputs = editable.map(([k, v]) => {
      const input = el('input');
      input.type = 'number';
      input.step = 'any';
      input.value = String(v);
      input.name = k;
      const label = el('label', undefined, `${k} `);
      label.append(input);
      td.append(label);
      return input;
    });
    if (editable.length === 0) td.append(el('span', 'sub', 'no editable hyperparameters: restart as is'));
    const go = el('button', 'primary', 'Start new run');
    go.addEventListener('click', () => {
      // Only the values edited: an unedited lr keeps, e.g., the run's schedule.
      const hyper = Object.fromEntries(inputs.filter((i) => Number(i.value) !== run.info.editable[i.name]).map((i) => [i.name, Number(i.value)]));
      this.send({ type: 'restart', run: run.info.id, hyper });
      form.hidden = true;
    });
    const cancel = el('button', undefined, 'Cancel');
    cancel.addEventListener('click', () => (form.hidden = true));
    td.append(go, cancel);
    form.replaceChildren(td);
  }

  private fill(row: Row, run: PageRun): void {
    const { info } = run;
    const last: StepResult | undefined = run.points[run.points.length - 1];
    row.tr.classList.toggle('hidden-run', run.hidden);
    row.status.replaceChildren(el('span', `badge ${info.status}`, info.status));
    if (info.error) row.status.title = info.error;
    row.step.textContent = last ? String(last.step) : '–';
    row.epoch.textContent = last ? String(last.epoch) : '–';
    row.loss.textContent = formatNumber(last?.loss);
    const x = last?.values?.x;
    const full = lastFullLoss(run);
    const online = run.online ? lastOnline(run) : undefined;
    if (online) showOnline(row.extra, online);
    else row.extra.textContent = x ? `x = (${x.map((v) => formatNumber(v, 3)).join(', ')})` : full !== undefined ? `all rows ${formatNumber(full)}` : '–';
    row.lr.textContent = formatNumber(last?.lr);
    const conf = Object.entries(info.config).map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : String(v)}`);
    const book = info.book ? [`book: ${Object.entries(info.book).map(([k, v]) => `${k} ${v}`).join(', ')}`] : [];
    row.config.textContent = [...conf, ...book].join(' · ');
    row.config.title = row.config.textContent;
    const ended = info.status === 'done' || info.status === 'stopped' || info.status === 'error';
    row.pause.textContent = info.status === 'paused' ? 'Resume' : 'Pause';
    row.pause.dataset.action = info.status === 'paused' ? 'resume' : 'pause';
    row.pause.disabled = ended;
    row.stop.disabled = ended;
    row.restart.disabled = !info.restartable;
    if (row.optimizer) {
      row.optimizer.disabled = ended;
      const index = last?.info?.optimizer;
      const since = last?.info?.optimizerSince;
      const names = info.optimizers ?? [];
      if (document.activeElement !== row.optimizer && typeof index === 'number' && names[index] !== undefined) row.optimizer.value = names[index];
      row.optimizerNote!.textContent = typeof since === 'number' && since > 0 ? `since step ${since}` : '';
    }
    if (row.slider) {
      row.slider.disabled = ended;
      if (document.activeElement !== row.slider && last && Number.isFinite(last.lr) && last.lr > 0) {
        row.slider.value = Math.log10(last.lr).toFixed(2);
        row.sliderValue!.textContent = formatNumber(last.lr, 3);
      }
    }
  }
}

/** The latest test-then-train figures of an online run. */
function lastOnline(run: PageRun): OnlineReport | undefined {
  for (let i = run.points.length - 1; i >= 0; i--) if (run.points[i].online?.metrics) return run.points[i].online;
  return undefined;
}

/**
 * An online run's latest figures: its main metric (a rolling one first) beside the baselines',
 * then the source's counters (the last rejection's reason as the tooltip), pending labels and drifts, and a durable
 * source's consumer counters (lag, ack pending, acked, redelivered, duplicates, dead-lettered) on a line of their own.
 */
function showOnline(cell: HTMLElement, o: OnlineReport): void {
  const [main] = onlineMetricNames(Object.keys(o.metrics ?? {}));
  const baselines = Object.entries(o.baselines ?? {}).map(([b, m]) => `${b} ${formatNumber(m[main])}`);
  const first = el('div', 'metric', `${main} ${formatNumber(o.metrics?.[main])}${baselines.length ? ` (${baselines.join(', ')})` : ''}`);
  const ingest = o.ingest ? ingestSummary(o.ingest) : undefined;
  const extra = [...(o.pending !== undefined ? [`pending ${o.pending.toLocaleString('en-US')}`] : []), ...(o.drifts !== undefined ? [`drifts ${o.drifts}`] : [])];
  const second = el('div', 'sub ingest', [ingest?.text, ...extra].filter(Boolean).join(' · '));
  if (ingest?.reason) {
    second.title = `last rejected: ${ingest.reason}`;
    second.append(el('span', 'reason', ` · last rejected: ${ingest.reason}`));
  }
  cell.replaceChildren(first, second, ...(ingest?.durable ? [el('div', 'sub durable', ingest.durable)] : []));
}

/** The latest `info.fullLoss` of a run (reported every few steps), if any. */
function lastFullLoss(run: PageRun): number | undefined {
  for (let i = run.points.length - 1; i >= 0; i--) {
    const v = run.points[i].info?.fullLoss;
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}
