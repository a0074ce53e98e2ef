import type { RunInfo, ServerMessage } from '../../streams/sinks/protocol';
import type { StepResult } from '../../streams/Step';

/** One run as the page holds it. */
export interface PageRun {
  info: RunInfo;
  readonly points: StepResult[];
  /** Points the server coalesced away for this page (slow connection). */
  missed: number;
  /** Points the history thinned away (beyond the server's cap). */
  thinned: number;
  readonly color: string;
  hidden: boolean;
  /** Hyperparameters whose value changed during the run (a schedule, a live override). */
  readonly varying: Set<string>;
  /** Every hyperparameter and info name the run reported. */
  readonly names: Set<string>;
}

function scan(run: PageRun, points: readonly StepResult[]): void {
  const first = run.points[0]?.hyper ?? {};
  for (const p of points) {
    for (const [k, v] of Object.entries(p.hyper ?? {})) {
      run.names.add(`hyper.${k}`);
      if (v !== first[k]) run.varying.add(k);
    }
    for (const k of Object.keys(p.info ?? {})) run.names.add(`info.${k}`);
  }
}

/** 20 distinct colours (Tableau 10 and its lighter partners), assigned to runs in order. */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#6b6ecf',
  '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#ff7f0e',
];

/**
 * The page's copy of every run, updated from server messages.
 *
 * 1. `hello` replaces everything (a reconnect starts afresh); colours stay with run ids.
 * 2. `history` sets a run's points; `points` appends (counting `missed`); `run` adds or
 *    updates a run's description.
 * 3. Each run notes the hyperparameter and info names its points carry, and which
 *    hyperparameters changed value during the run (`varying`).
 * 4. `apply` returns the ids of runs whose data or description changed.
 *
 * @example
 * const store = new RunStore();
 * socket.onmessage = (e) => redraw(store.apply(JSON.parse(e.data)));
 */
export class RunStore {
  readonly runs = new Map<string, PageRun>();
  private readonly colors = new Map<string, string>();
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
    let color = this.colors.get(info.id);
    if (!color) {
      color = PALETTE[this.colors.size % PALETTE.length];
      this.colors.set(info.id, color);
    }
    this.runs.set(info.id, { info, points: [], missed: 0, thinned: 0, color, hidden: this.hiddenIds.has(info.id), varying: new Set(), names: new Set() });
  }
}
