import { RxgradError } from '../RxgradError';
import type { Metric } from '../metrics/Metric';
import type { Baseline } from '../metrics/Baseline';
import type { Task } from '../models/Model';
import { yHatOf } from './yHatOf';

/** Metrics (or baselines) given as a list (keyed by their `name`) or a record (keyed by the record's keys). */
export type Named<T> = readonly T[] | Readonly<Record<string, T>>;

/** The JSON-able state of an `Evaluation`. */
export interface EvaluationState {
  /** Each metric's state, by name. */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Each baseline's own state and its metrics' states. */
  readonly baselines: Readonly<Record<string, { readonly state: unknown; readonly metrics: Readonly<Record<string, unknown>> }>>;
}

/** The figures of an `Evaluation`: the model's metrics, and each baseline's. */
export interface EvaluationReport {
  readonly metrics: Record<string, number>;
  readonly baselines: Record<string, Record<string, number>>;
}

/** What `ask` returns when there is no baseline (no allocation per example). */
const NONE: readonly number[] = Object.freeze([]);

/** What `report` gives as `baselines` when there is none (no allocation per report). */
const NO_BASELINES: Record<string, Record<string, number>> = Object.freeze({});

/** Numbers `from` … `from + k − 1` of `a`: a view of a typed array, a copy of an array. */
function row(a: ArrayLike<number>, from: number, k: number): ArrayLike<number> {
  return ArrayBuffer.isView(a) ? (a as Float32Array).subarray(from, from + k) : Array.prototype.slice.call(a, from, from + k);
}

/**
 * `[name, item]` pairs of metrics or baselines given as a list (names from `item.name`, which
 * must be unique) or as a record.
 *
 * @example
 * named('metrics', [accuracy(), logLoss()]); // [['accuracy', …], ['logLoss', …]]
 */
export function named<T extends { readonly name: string; init(): unknown }>(field: string, items: Named<T>): [string, T][] {
  if (items === null || typeof items !== 'object') throw new RxgradError(field, 'a list or a record', items);
  const pairs: [string, T][] = Array.isArray(items) ? items.map((m) => [m?.name, m]) : Object.entries(items);
  const seen = new Set<string>();
  for (const [name, item] of pairs) {
    if (item === null || typeof item !== 'object' || typeof item.init !== 'function') throw new RxgradError(`${field}.${name}`, 'a state machine { name, init, … }', item);
    if (typeof name !== 'string' || seen.has(name)) throw new RxgradError(`${field}`, 'unique names (give a record to name them yourself)', name);
    seen.add(name);
  }
  return pairs;
}

/**
 * Test-then-train bookkeeping for one model and its baselines, as a pure state machine whose
 * state is JSON-able (River's `progressive_val_score` without the stream).
 *
 * 1. `ask(time)` is called when an example's features arrive: it returns each baseline's
 *    prediction now (the model's scores are computed by the caller, with the parameters from
 *    before the example is learned).
 * 2. `answer(y, scores, offset, asked, time)` is called when the example's label is known: the
 *    model's prediction ŷ = `yHatOf(scores row)` and the probabilities (classifiers: the scores
 *    row; only sliced out when a metric needs them) update every metric; each baseline's prediction made at `ask` updates that baseline's
 *    metrics (metrics that need probabilities are kept for baselines that give them), then the
 *    baseline learns y. Returns ŷ; the error (0/1 or |y − ŷ|) is `errorOf(task, y, ŷ)`.
 * 3. `report()` gives every metric's value (a new record per call; `baselines` is one shared,
 *    frozen empty record when there are none); `save()` a copy of the state, which the
 *    constructor takes back.
 *
 * @example
 * const ev = new Evaluation('binary', 2, named('metrics', [accuracy()]), []);
 * const asked = ev.ask(0);
 * ev.answer(1, Float32Array.of(0.2, 0.8), 0, asked, 0); // ŷ = 1
 * ev.report().metrics.accuracy; // 1
 */
export class Evaluation {
  private readonly state: { metrics: Record<string, unknown>; baselines: Record<string, { state: unknown; metrics: Record<string, unknown> }> };
  private readonly baselineMetrics: [string, Metric][][];
  /** Whether any metric of the model (of each baseline) reads probabilities: else none are sliced out. */
  private readonly modelProba: boolean;
  private readonly baselineProba: boolean[];
  /** The model's metrics and their states (the objects `update` folds into in place), in `metrics`' order: read by index per example. */
  private readonly metricNames: string[];
  private readonly metricList: Metric[];
  private readonly metricStates: unknown[];

  constructor(
    private readonly task: Task,
    private readonly outputs: number,
    metrics: readonly [string, Metric][],
    private readonly baselines: readonly [string, Baseline][],
    saved?: EvaluationState,
  ) {
    this.baselineMetrics = baselines.map(([, b]) => metrics.filter(([, m]) => !m.needsProba || b.classes !== undefined));
    this.modelProba = task !== 'regression' && metrics.some(([, m]) => m.needsProba);
    this.baselineProba = this.baselineMetrics.map((ms) => ms.some(([, m]) => m.needsProba));
    this.state = saved
      ? (structuredClone(saved) as Evaluation['state'])
      : {
          metrics: Object.fromEntries(metrics.map(([name, m]) => [name, m.init()])),
          baselines: Object.fromEntries(
            baselines.map(([name, b], i) => [name, { state: b.init(), metrics: Object.fromEntries(this.baselineMetrics[i].map(([mn, m]) => [mn, m.init()])) }]),
          ),
        };
    for (const [name] of metrics) if (!Object.hasOwn(this.state.metrics, name)) throw new RxgradError(`state.metrics.${name}`, 'the saved state of every metric', undefined);
    for (const [name] of baselines) if (!Object.hasOwn(this.state.baselines, name)) throw new RxgradError(`state.baselines.${name}`, 'the saved state of every baseline', undefined);
    this.metricNames = metrics.map(([name]) => name);
    this.metricList = metrics.map(([, m]) => m);
    this.metricStates = metrics.map(([name]) => this.state.metrics[name]);
  }

  /** Each baseline's prediction for an example arriving now: its ŷ, then its k class probabilities when it gives them. */
  ask(time: number): readonly number[] {
    if (this.baselines.length === 0) return NONE;
    const out: number[] = [];
    for (const [name, b] of this.baselines) {
      const s = this.state.baselines[name].state;
      out.push(b.predict(s, time));
      if (b.classes !== undefined) for (const p of b.predictProba!(s)) out.push(p);
    }
    return out;
  }

  answer(y: number, scores: ArrayLike<number>, offset: number, asked: ArrayLike<number>, time: number): number {
    const yHat = yHatOf(this.task, scores, offset, this.outputs);
    const proba = this.modelProba ? row(scores, offset, this.outputs) : undefined;
    const list = this.metricList;
    for (let i = 0; i < list.length; i++) list[i].update(this.metricStates[i], y, yHat, proba, time);
    let at = 0;
    for (let i = 0; i < this.baselines.length; i++) {
      const [name, b] = this.baselines[i];
      const part = this.state.baselines[name];
      const bHat = asked[at++];
      const k = b.classes ?? 0;
      const bProba = this.baselineProba[i] ? row(asked, at, k) : undefined;
      at += k;
      for (const [mn, m] of this.baselineMetrics[i]) m.update(part.metrics[mn], y, bHat, bProba, time);
      b.learn(part.state, y, time);
    }
    return yHat;
  }

  report(): EvaluationReport {
    const metrics: Record<string, number> = {};
    const list = this.metricList;
    for (let i = 0; i < list.length; i++) metrics[this.metricNames[i]] = list[i].get(this.metricStates[i]);
    if (this.baselines.length === 0) return { metrics, baselines: NO_BASELINES };
    const baselines: Record<string, Record<string, number>> = {};
    for (let i = 0; i < this.baselines.length; i++) {
      const name = this.baselines[i][0];
      const values: Record<string, number> = {};
      for (const [mn, m] of this.baselineMetrics[i]) values[mn] = m.get(this.state.baselines[name].metrics[mn]);
      baselines[name] = values;
    }
    return { metrics, baselines };
  }

  save(): EvaluationState {
    return structuredClone(this.state);
  }
}
