import type { RunInfo, ServerMessage } from '../../streams/sinks/protocol';
import type { StepResult } from '../../streams/Step';
import { runStyle, type RunStyle } from './runStyle';

/** One run as the page holds it. */
export interface PageRun {
  info: RunInfo;
  readonly points: StepResult[];
  /** Points the server coalesced away for this page (slow connection). */
  missed: number;
  /** Points the history thinned away (beyond the server's cap). */
  thinned: number;
  readonly color: string;
  /** Dash pattern of the run's lines (empty: solid); with `color`, unique within its group. */
  readonly dash: readonly number[];
  hidden: boolean;
  /** Hyperparameters whose value changed during the run (a schedule, a live override). */
  readonly varying: Set<string>;
  /** Every hyperparameter, info and online metric name the run reported (`hyper.lr`, `info.fullLoss`, `online.accuracy`). */
  readonly names: Set<string>;
  /** The run reports test-then-train metrics (`StepResult.online.metrics`). */
  online: boolean;
}

function scan(run: PageRun, points: readonly StepResult[]): void {
  const first = run.points[0]?.hyper ?? {};
  for (const p of points) {
    for (const [k, v] of Object.entries(p.hyper ?? {})) {
      run.names.add(`hyper.${k}`);
      if (v !== first[k]) run.varying.add(k);
    }
    for (const k of Object.keys(p.info ?? {})) run.names.add(`info.${k}`);
    if (p.online?.metrics) {
      run.online = true;
      for (const k of Object.keys(p.online.metrics)) run.names.add(`online.${k}`);
    }
  }
}

/**
 * The page's copy of every run, updated from server messages.
 *
 * 1. `hello` replaces everything (a reconnect starts afresh); styles stay with run ids.
 * 2. `history` sets a run's points; `points` appends (counting `missed`); `run` adds or
 *    updates a run's description.
 * 3. Each run notes the hyperparameter, info and online metric names its points carry (and
 *    whether it is an online run), and which hyperparameters changed value during the run
 *    (`varying`).
 * 4. `apply` returns the ids of runs whose data or description changed.
 * 5. Each run gets a colour and dash pattern (`runStyle`) by its order of arrival in its group,
 *    so no two runs of a group look alike.
 *
 * @example
 * const store = new RunStore();
 * socket.onmessage = (e) => redraw(store.apply(JSON.parse(e.data)));
 */
export class RunStore {
  readonly runs = new Map<string, PageRun>();
  private readonly styles = new Map<string, RunStyle>();
  private readonly perGroup = new Map<string, number>();
  private readonly hiddenIds = new Set<string>();

  apply(msg: ServerMessage): string[] {
    switch (msg.type) {
      case 'hello':
        this.runs.clear();
        for (const info of msg.runs) this.add(info);
        return msg.runs.map((r) => r.id);
      case 'run': {
        const run = this.runs.get(msg.run.id);
        if (run) run.info = msg.run;
        else this.add(msg.run);
        return [msg.run.id];
      }
      case 'history': {
        const run = this.runs.get(msg.run);
        if (!run) return [];
        run.points.splice(0, run.points.length, ...msg.points);
        scan(run, msg.points);
        run.thinned = msg.total - msg.points.length;
        return [msg.run];
      }
      case 'points': {
        const run = this.runs.get(msg.run);
        if (!run) return [];
        for (const p of msg.points) run.points.push(p);
        scan(run, msg.points);
        run.missed += msg.missed;
        return [msg.run];
      }
      default:
        return [];
    }
  }

  setHidden(id: string, hidden: boolean): void {
    if (hidden) this.hiddenIds.add(id);
    else this.hiddenIds.delete(id);
    const run = this.runs.get(id);
    if (run) run.hidden = hidden;
  }

  /** Runs of one group, in arrival order. */
  group(name: string): PageRun[] {
    return [...this.runs.values()].filter((r) => r.info.group === name);
  }

  /** The groups in order of first appearance. */
  groups(): string[] {
    return [...new Set([...this.runs.values()].map((r) => r.info.group))];
  }

  private add(info: RunInfo): void {
    let style = this.styles.get(info.id);
    if (!style) {
      const index = this.perGroup.get(info.group) ?? 0;
      this.perGroup.set(info.group, index + 1);
      style = runStyle(index);
      this.styles.set(info.id, style);
    }
    this.runs.set(info.id, { info, points: [], missed: 0, thinned: 0, color: style.color, dash: style.dash, hidden: this.hiddenIds.has(info.id), varying: new Set(), names: new Set(), online: false });
  }
}
