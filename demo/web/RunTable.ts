import type { StepResult } from '../../streams/Step';
import type { Connection, ControlRequest } from './Connection';
import type { PageRun } from './RunStore';

/** Show a short message (an ack or a rejection) to the user. */
export type Notify = (text: string, ok: boolean) => void;

function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

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
}

/**
 * The table of one group's runs: visibility, configuration, latest values and controls.
 *
 * 1. One row per run, built once and updated in place (a slider being dragged keeps its value).
 * 2. Controls send control messages through the connection and report the answer via `notify`:
 *    pause / resume, stop, a log-scale learning-rate slider (runs with a live `lr`), and
 *    restart with edited hyperparameters (an inline form of the run's `editable` values).
 * 3. Unticking a run hides it from the charts and contours (`onVisibility`).
 *
 * @example
 * const table = new RunTable(div, connection, notify, (id, visible) => { store.setHidden(id, !visible); redraw(); });
 * table.update(store.group('airfoil'));
 */
export class RunTable {
  private readonly body: HTMLTableSectionElement;
  private readonly rows = new Map<string, Row>();

  constructor(
    container: HTMLElement,
    private readonly conn: Connection,
    private readonly notify: Notify,
    private readonly onVisibility: (id: string, visible: boolean) => void,
  ) {
    const table = el('table', 'runs');
    const head = table.createTHead().insertRow();
    for (const h of ['', 'Run', 'Status', 'Step', 'Epoch', 'Loss', 'Latest', 'lr', 'Configuration', 'Controls']) head.append(el('th', undefined, h));
    this.body = table.createTBody();
    container.append(table);
  }

  update(runs: readonly PageRun[]): void {
    for (const run of runs) {
      const row = this.rows.get(run.info.id) ?? this.create(run);
      this.fill(row, run);
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
    const swatch = el('span', 'swatch');
    swatch.style.background = run.color;
    const first = el('td', 'vis');
    first.append(visible, swatch);
    const name = el('td', 'name', run.info.name);
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
      sliderValue = el('span', 'lr-value', fmt(lr0, 3));
      const s = slider;
      const v = sliderValue;
      s.addEventListener('input', () => (v.textContent = fmt(10 ** Number(s.value), 3)));
      s.addEventListener('change', () => this.send({ type: 'set', run: id, name: 'lr', value: Number((10 ** Number(s.value)).toPrecision(4)) }));
      const wrap = el('label', 'lr-control');
      wrap.append(el('span', 'lr-label', 'lr'), s, v);
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
    const row: Row = { tr, form, visible, status, step, epoch, loss, extra, lr, config, pause, stop, restart, slider, sliderValue };
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
    row.loss.textContent = fmt(last?.loss);
    const x = last?.values?.x;
    const full = lastFullLoss(run);
    row.extra.textContent = x ? `x = (${x.map((v) => fmt(v, 3)).join(', ')})` : full !== undefined ? `all rows ${fmt(full)}` : '–';
    row.lr.textContent = fmt(last?.lr);
    const conf = Object.entries(info.config).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : String(v)}`);
    const book = info.book ? [`book: ${Object.entries(info.book).map(([k, v]) => `${k} ${v}`).join(', ')}`] : [];
    row.config.textContent = [...conf, ...book].join(' · ');
    row.config.title = row.config.textContent;
    const ended = info.status === 'done' || info.status === 'stopped' || info.status === 'error';
    row.pause.textContent = info.status === 'paused' ? 'Resume' : 'Pause';
    row.pause.dataset.action = info.status === 'paused' ? 'resume' : 'pause';
    row.pause.disabled = ended;
    row.stop.disabled = ended;
    row.restart.disabled = !info.restartable;
    if (row.slider) {
      row.slider.disabled = ended;
      if (document.activeElement !== row.slider && last && Number.isFinite(last.lr) && last.lr > 0) {
        row.slider.value = Math.log10(last.lr).toFixed(2);
        row.sliderValue!.textContent = fmt(last.lr, 3);
      }
    }
  }
}

/** The latest `info.fullLoss` of a run (reported every few steps), if any. */
function lastFullLoss(run: PageRun): number | undefined {
  for (let i = run.points.length - 1; i >= 0; i--) {
    const v = run.points[i].info?.fullLoss;
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}
