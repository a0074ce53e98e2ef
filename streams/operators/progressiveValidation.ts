import { Observable, type OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import type { ExampleBatch } from '../../src/ExampleBatch';
import type { Metric } from '../../src/metrics/Metric';
import type { Baseline } from '../../src/metrics/Baseline';
import type { Model } from '../../src/models/Model';
import { Evaluation, named, type EvaluationState, type Named } from '../../src/online/Evaluation';
import { PendingStore, pendingBounds, type PendingBounds, type PendingEntry, type PendingState } from '../../src/online/PendingStore';
import { askQuestion } from '../../src/online/simulateQa';
import { errorOf } from '../../src/online/yHatOf';
import { inRange, positiveInt } from '../../src/validate';
import { listen } from '../listen';
import { operate, type OperatorHandlers } from '../operate';
import type { RunScope } from '../RunScope';
import { watchRuns } from '../watchRuns';
import { advance, disposeStep, type OnlineReport, type Predictions, type Step } from '../Step';
import { fusable, type GradientsFusion, type PassStage, type StepOutput } from '../fused/fusion';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { values } from '../../src/kernels/values';
import { StorageSlot } from '../../src/kernels/StorageSlot';

/** A label that arrives after its example, joined to it by `id`. */
export interface Label {
  readonly id: string | number;
  readonly y: number;
}

/** A fixed label delay: a number of examples, or milliseconds of the examples' `times`. */
export type LabelDelay = { readonly examples: number } | { readonly ms: number };

/** Options of `progressiveValidation`. */
export interface ProgressiveValidationOptions {
  /** Metrics of the model (a list keyed by their names, or a record). */
  readonly metrics: Named<Metric>;
  /** Baselines run beside the model on the same stream, each scored with the same metrics. */
  readonly baselines?: Named<Baseline>;
  /** Labels of examples that arrived unlabelled (y NaN), joined by id. */
  readonly labels?: Observable<Label>;
  /** Reveal every label this long after its example (River's `simulate_qa`). */
  readonly delay?: LabelDelay;
  /** Bounds of the predictions waiting for their label (default: no TTL, 100 000). */
  readonly pending?: Partial<PendingBounds>;
  /** Key of the evaluation's state in the run's checkpoints (default 'evaluation'). */
  readonly key?: string;
}

/** A prediction waiting for its label: the example, the model's scores and the baselines' predictions at question time. */
interface Waiting {
  readonly x: Float32Array;
  readonly y: number | null;
  readonly t: number;
  readonly id: string | number | null;
  readonly s: Float32Array;
  readonly b: readonly number[];
}

/** `Waiting` as JSON holds it: arrays of numbers (a NaN score is written as null). */
type SavedWaiting = Omit<Waiting, 'x' | 's'> & { readonly x: number[]; readonly s: (number | null)[] };

const toSaved = (e: PendingEntry<Waiting>): PendingEntry<SavedWaiting> => ({ ...e, value: { ...e.value, x: Array.from(e.value.x), s: Array.from(e.value.s) } });
const fromSaved = (e: PendingEntry<SavedWaiting>): PendingEntry<Waiting> => ({ ...e, value: { ...e.value, x: Float32Array.from(e.value.x), s: Float32Array.from(e.value.s, (v) => v ?? NaN) } });

/** The evaluation's checkpointed state. */
interface Saved {
  readonly evaluation: EvaluationState;
  readonly pending: PendingState<SavedWaiting>;
  readonly labels: PendingState<number>;
  /** Predictions whose label arrived since the last step, to be scored and learned at the next. */
  readonly ready: PendingEntry<SavedWaiting>[];
  /** Examples asked so far (the key and clock of `delay: { examples }`). */
  readonly asked: number;
  /** Unlabelled examples without an id (never joinable), counted with the expired. */
  readonly lost: number;
  /** The last step that reached the operator (the end-of-stream step is numbered after it). */
  readonly last: { readonly step: number; readonly epoch: number; readonly examples: number } | null;
}

function checkDelay(delay: unknown): { readonly by: 'examples' | 'ms'; readonly amount: number } {
  if (delay === null || typeof delay !== 'object') throw new RxgradError('delay', 'an object { examples } or { ms }', delay);
  const keys = Object.keys(delay);
  if (keys.length !== 1 || (keys[0] !== 'examples' && keys[0] !== 'ms')) throw new RxgradError('delay', 'exactly one of { examples } or { ms }', delay);
  const d = delay as Record<string, unknown>;
  return keys[0] === 'examples' ? { by: 'examples', amount: positiveInt('delay.examples', d.examples, 0) } : { by: 'ms', amount: inRange('delay.ms', d.ms, { min: 0 }) };
}

function checkLabel(label: unknown): Label {
  const l = label as Label;
  if (l === null || typeof l !== 'object' || (typeof l.id !== 'string' && typeof l.id !== 'number')) throw new RxgradError('label.id', 'a string or number', l?.id ?? label);
  if (typeof l.y !== 'number' || !Number.isFinite(l.y)) throw new RxgradError(`label.y (id ${l.id})`, 'a finite number', l.y);
  return l;
}


/**
 * The answers of one step, in the order they were scored: rows of the step's batch, or waiting
 * predictions. One per subscription, cleared at each step: the first `count` entries of each
 * list are this step's (the lists only grow, so clearing costs nothing).
 */
class Answers {
  count = 0;
  readonly rows: number[] = [];
  readonly entries: (Waiting | undefined)[] = [];
  readonly ys: number[] = [];
  readonly yHats: number[] = [];

  clear(): void {
    // A loop, not `fill` (a builtin call costs more than the one or few entries a step has).
    for (let j = 0; j < this.count; j++) this.entries[j] = undefined;
    this.count = 0;
  }

  add(row: number, entry: Waiting | undefined, y: number, yHat: number): void {
    const j = this.count++;
    this.rows[j] = row;
    this.entries[j] = entry;
    this.ys[j] = y;
    this.yHats[j] = yHat;
  }

  /** Whether the answers are exactly the batch's rows in order, with its labels (the batch is then learned as it is). */
  direct(b: ExampleBatch): boolean {
    if (this.count !== b.n) return false;
    for (let i = 0; i < b.n; i++) if (this.rows[i] !== i || this.ys[i] !== b.y[i]) return false;
    return true;
  }
}

/** Writes the model's scores of a batch's rows into `out` (what `Model.scoreRows` writes). */
type RowScorer = (b: ExampleBatch, out: Float32Array) => void;

/**
 * How the fused run whose `gradients` stage is `g` scores `model` (`progressiveValidation`, 8):
 * its analytic pass's `score` on the parameters' arrays — the batch's forward pass, which the
 * step's `backward` then reuses — when the run learns exactly this model (its loss's analytic
 * pass, its parameter variables) and the pass has one; `undefined` otherwise (`model.scoreRows`).
 */
function analyticScore(model: Model, g: GradientsFusion): RowScorer | undefined {
  const { analytic, params } = g;
  const score = analytic.score;
  const names = analytic.names;
  if (score === undefined || analyticOf(model.loss) !== analytic || names.some((name) => model.params[name] !== params[name])) return undefined;
  const variables = names.map((name) => params[name]);
  const slots = variables.map((v) => StorageSlot.of(v));
  const theta: Float32Array[] = new Array(names.length);
  return (b, out) => {
    for (let i = 0; i < variables.length; i++) theta[i] = slots[i].own(variables[i]) ?? values(variables[i]);
    score(theta, b.x, b.n, out);
  };
}

/**
 * Test-then-train evaluation (River's `progressive_val_score`): every example is predicted
 * with the parameters from before it is learned; the prediction updates the metrics when its
 * label is known; then the example goes on to be learned.
 *
 * 1. For each step, the model scores the batch's rows (`model.scoreRows`, typed arrays, no
 *    tensor) with the current parameters, before anything downstream learns from the step.
 * 2. When an example's label is known (its *answer*), every metric (cumulative and rolling) is
 *    updated with the prediction made at its question, each baseline's prediction made then
 *    updates the baseline's metrics, and the baseline learns the label.
 * 3. Labels: with neither `labels` nor `delay`, every example must be labelled and is answered
 *    right after its question. With `labels`, an unlabelled example (y NaN) waits by `id` for a
 *    label from that stream (a label may also come first: it then waits for its example);
 *    labels that arrive between steps are scored at the next step, before its examples. With
 *    `delay`, River's `simulate_qa`: before each question, every answer whose time has come
 *    (question time + delay ≤ this question's time; the time is the example's position for
 *    `{ examples }`, its `times` entry for `{ ms }`) is released, earliest first.
 * 4. Waiting predictions are bounded (`pending.ttlMs` in the examples' clock, `pending.cap`);
 *    those that expire (or have no id to be joined by) are never scored nor learned and are
 *    counted in `online.expired`; `online.pending` is how many wait.
 * 5. The step passed on carries the examples answered at it (a new `ExampleBatch`, or the same
 *    one when they are exactly its rows), `predictions` for them (ŷ, probabilities, error), and
 *    `online.metrics`, `online.baselines`, `online.pending`, `online.expired` beside the other
 *    `online` fields. A step with no answer is not passed on (nothing to learn: its questions
 *    wait). On complete, the answers still due (`delay`) or arrived (`labels`) are passed on
 *    in one last step (number: the last step's + 1) — also in a resumed run whose source had
 *    nothing left to give (the run the source opens while subscribed is restored at once).
 * 6. All state (metrics, baselines, waiting predictions) is registered with the run's scope
 *    under `key` and restored from it, so a resumed run continues exactly. (A later run through
 *    the same subscription — `repeat` — continues the same evaluation and registers it too.)
 * 7. Within one step every row is scored with the same parameters (test-then-train at the
 *    granularity of the micro-batch; with batch size 1 it is River's per-example order).
 * 8. It touches no tensor, so it takes part in `applyUpdates`' fused path: the fused run applies
 *    this operator to the source's rows, before the step's update, in a form that leaves out the
 *    steps' `predictions` (only operators that break the fused path read them: `detectDrift`, a
 *    user's `map`) and scores into scratch — with the loss's analytic pass when the run learns
 *    this very model (linear and logistic regression: the same scores, and the step's gradient
 *    reuses the batch's forward pass); metrics, state, checkpoints and errors are the same.
 *
 * @example
 * replay(table, { batchSize: 1 }).pipe(
 *   progressiveValidation(model, { metrics: [accuracy()], baselines: [noChange()] }),
 *   gradients(model.loss, model.params), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params),
 * ).subscribe((r) => console.log(r.online?.metrics?.accuracy));
 */
export function progressiveValidation(model: Model, options: ProgressiveValidationOptions): OperatorFunction<Step<ExampleBatch>, Step<ExampleBatch>> {
  if (model === null || typeof model !== 'object' || typeof model.scoreRows !== 'function') throw new RxgradError('model', 'a Model (with scoreRows)', model);
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { metrics, … }', options);
  const metrics = named('metrics', options.metrics);
  const baselines = named('baselines', options.baselines ?? []);
  if (model.task === 'regression') {
    const bad = metrics.find(([, m]) => m.needsProba);
    if (bad) throw new RxgradError(`metrics.${bad[0]}`, 'a metric of values (a regression model gives no probabilities)', bad[0]);
  }
  const delay = options.delay === undefined ? undefined : checkDelay(options.delay);
  const labels = options.labels;
  if (labels !== undefined && typeof labels?.subscribe !== 'function') throw new RxgradError('labels', 'an Observable of { id, y }', labels);
  if (labels && delay) throw new RxgradError('delay', 'to be absent when `labels` is given (labels come either late on a stream or after a fixed delay)', options.delay);
  const bounds = pendingBounds(options.pending);
  const key = options.key ?? 'evaluation';
  if (typeof key !== 'string' || key.length === 0) throw new RxgradError('key', 'a non-empty string', key);
  const k = model.outputs;
  // Read once: each model is a record of its own shape, which per step would make these reads megamorphic across runs.
  const { task, features } = model;

  // The operator's setup per subscription (`operate`'s, with `run` for the runs its source opens while subscribed).
  // `fused`: the form `applyUpdates`' fused run applies (8): no `predictions` (nothing there reads them), scores in scratch,
  // by `score` when given (the run's analytic pass, which then learns the batch without a second forward pass).
  const stage = (fused: boolean, score: RowScorer | undefined) => (out: StepOutput): OperatorHandlers<Step<ExampleBatch>> & Required<Pick<PassStage, 'run'>> => {
    let ev: Evaluation | undefined;
    let store: PendingStore<Waiting>;
    let early: PendingStore<number>;
    let ready: PendingEntry<Waiting>[] = [];
    let asked = 0;
    let lost = 0;
    let last: Step<ExampleBatch> | undefined;
    // The last step that reached the operator: `last`'s numbers, or the restored ones before any step came.
    let restoredLast: Saved['last'] = null;
    const lastSeen = (): Saved['last'] => (last ? { step: last.step, epoch: last.epoch, examples: last.examples } : restoredLast);
    let scope: RunScope | undefined;
    const beforeFirst: Label[] = [];
    const answers = new Answers();
    // The fused form's scores, grown to the largest batch (the general form hands each step's scores on as its `predictions.proba`).
    let scratch = new Float32Array(0);

    const onLabel = (label: Label) => {
      const e = store.take(label.id);
      if (e) ready.push({ ...e, value: { ...e.value, y: label.y } });
      else early.add(label.id, -Infinity, null, label.y);
    };

    const start = (run: RunScope | undefined) => {
      const saved = run?.restored<Saved>(key);
      if (saved !== undefined && (saved === null || typeof saved !== 'object' || !saved.evaluation || !saved.pending)) {
        throw new RxgradError(`restored.${key}`, "progressiveValidation's saved state", saved);
      }
      ev = new Evaluation(task, k, metrics, baselines, saved?.evaluation);
      store = new PendingStore(bounds, saved && { ...saved.pending, entries: saved.pending.entries.map(fromSaved) });
      early = new PendingStore(bounds, saved?.labels);
      ready = saved ? saved.ready.map(fromSaved) : [];
      asked = saved?.asked ?? 0;
      lost += saved?.lost ?? 0;
      restoredLast = saved?.last ?? null;
      join(run);
    };
    /** Register the state with a run (a later run through the same subscription — `repeat` — too). */
    const join = (run: RunScope | undefined) => {
      scope = run;
      run?.register(key, {
        save: (): Saved => {
          const pending = store.save();
          return { evaluation: ev!.save(), pending: { ...pending, entries: pending.entries.map(toSaved) }, labels: early.save(), ready: ready.map(toSaved), asked, lost, last: lastSeen() };
        },
      });
    };
    // A run opened while the source is being subscribed: restore now (a failure is the first step's, or the end's).
    let failure: { readonly err: unknown } | undefined;
    const onRun = (run: RunScope) => {
      if (ev || failure) return;
      try {
        start(run);
      } catch (err) {
        failure = { err };
      }
    };

    const subscription =
      labels &&
      listen(labels, out, (value) => {
        const label = checkLabel(value);
        if (ev) onLabel(label);
        else if (beforeFirst.push(label) > bounds.cap) {
          beforeFirst.shift();
          lost++;
        }
      });

    const answer = (e: PendingEntry<Waiting>) => {
      const w = e.value;
      answers.add(-1, w, w.y!, ev!.answer(w.y!, w.s, 0, w.b, w.t));
    };

    const waiting = (b: ExampleBatch, i: number, scores: Float32Array): Waiting => ({
      x: b.x.slice(i * b.d, (i + 1) * b.d),
      y: Number.isNaN(b.y[i]) ? null : b.y[i],
      t: b.times[i],
      id: b.ids[i] ?? null,
      s: scores.slice(i * k, (i + 1) * k),
      b: ev!.ask(b.times[i]),
    });

    const emit = (step: Step<ExampleBatch>, b: ExampleBatch | undefined, scores: Float32Array | undefined) => {
      const m = answers.count;
      if (m === 0) return;
      const direct = b !== undefined && answers.direct(b);
      let batch: ExampleBatch;
      let proba: Float32Array | undefined;
      if (direct) {
        batch = b;
        proba = task === 'regression' || fused ? undefined : scores;
      } else {
        const d = features;
        const x = new Float32Array(m * d);
        const times = new Float64Array(m);
        const ids: (string | number | undefined)[] = new Array(m);
        proba = task === 'regression' || fused ? undefined : new Float32Array(m * k);
        for (let j = 0; j < m; j++) {
          const row = answers.rows[j];
          const w = answers.entries[j];
          if (w) {
            x.set(w.x, j * d);
            times[j] = w.t;
            ids[j] = w.id ?? undefined;
            proba?.set(w.s, j * k);
          } else {
            x.set(b!.x.subarray(row * d, (row + 1) * d), j * d);
            times[j] = b!.times[row];
            ids[j] = b!.ids[row];
            proba?.set(scores!.subarray(row * k, (row + 1) * k), j * k);
          }
        }
        const y = new Float32Array(m);
        for (let j = 0; j < m; j++) y[j] = answers.ys[j];
        batch = { n: m, d, x, y, ids, times };
      }
      const report = ev!.report();
      // `extend(step.online, { metrics, baselines?, pending, expired })`, with the new keys stored by name (a third of its cost).
      const online: { -readonly [K in keyof OnlineReport]: OnlineReport[K] } = {};
      const before = step.online as Record<string, unknown> | undefined;
      if (before) for (const key in before) (online as Record<string, unknown>)[key] = before[key];
      online.metrics = report.metrics;
      if (baselines.length > 0) online.baselines = report.baselines;
      online.pending = store.size;
      online.expired = store.expired + early.expired + lost;
      if (fused) {
        // `advance(step, { batch, online })`; a step that has an online report already (an online source's) as a spread with
        // the keys it has, which V8 copies in one go (extend's key checks and second spread cost ~0.08 µs a step).
        if (step.online === undefined) out.next(advance(step, { batch, online }));
        else out.next(step.scope ? step.scope.own({ ...step, batch, online }) : { ...step, batch, online });
        return;
      }
      const yHat = new Float32Array(m);
      const error = new Float32Array(m);
      for (let j = 0; j < m; j++) {
        yHat[j] = answers.yHats[j];
        error[j] = errorOf(task, answers.ys[j], answers.yHats[j]);
      }
      const predictions: Predictions = proba ? { n: m, yHat, proba, error } : { n: m, yHat, error };
      out.next(advance(step, { batch, predictions, online }));
    };

    return {
      next: (step) => {
        const b = step.batch;
        if (b === null || typeof b !== 'object' || !(b.x instanceof Float32Array) || !(b.y instanceof Float32Array)) {
          throw new RxgradError('step.batch', 'an ExampleBatch (from an online source)', b);
        }
        if (failure) throw failure.err;
        if (!ev) start(step.scope);
        else if (step.scope && step.scope !== scope) join(step.scope);
        last = step;
        let scores: Float32Array;
        if (!fused) scores = new Float32Array(b.n * k);
        else if (scratch.length < b.n * k) scores = scratch = new Float32Array(b.n * k);
        else scores = scratch;
        if (score !== undefined && b.d === features) score(b, scores);
        else model.scoreRows(model.params, b, scores);
        answers.clear();
        if (!delay) {
          let newest = -Infinity;
          for (let i = 0; i < b.n; i++) newest = Math.max(newest, b.times[i]);
          store.expire(newest);
          early.expire(newest);
          if (beforeFirst.length > 0) for (const l of beforeFirst.splice(0)) onLabel(l);
        }
        if (ready.length > 0) for (const e of ready.splice(0)) answer(e);
        if (delay) {
          for (let i = 0; i < b.n; i++) {
            if (Number.isNaN(b.y[i])) throw new RxgradError(`batch.y[${i}]`, 'a label for every example with `delay` (labels that come later on a stream need `labels`)', NaN);
            const t = delay.by === 'examples' ? asked : b.times[i];
            askQuestion(store, t, delay.amount, asked, answer, () => waiting(b, i, scores));
            asked++;
          }
        } else {
          for (let i = 0; i < b.n; i++) {
            let y = b.y[i];
            if (Number.isNaN(y)) {
              const id = b.ids[i];
              if (!labels) throw new RxgradError(`batch.y[${i}]`, 'a label (examples that arrive unlabelled need the `labels` option)', shown(`NaN at step ${step.step}`));
              const found = id === undefined ? undefined : early.take(id);
              if (found === undefined) {
                if (id === undefined) lost++;
                else store.add(id, b.times[i], null, waiting(b, i, scores));
                continue;
              }
              y = found.value;
            }
            answers.add(i, undefined, y, ev!.answer(y, scores, i * k, ev!.ask(b.times[i]), b.times[i]));
          }
        }
        emit(step, b, scores);
      },
      complete: () => {
        if (failure) throw failure.err;
        const seen = lastSeen();
        if (!ev || !seen) return;
        answers.clear();
        for (const e of ready.splice(0)) answer(e);
        if (delay) for (const e of store.drain()) answer(e);
        const base: Step<ExampleBatch> = last ?? { ...seen, batch: { n: 0, d: features, x: new Float32Array(0), y: new Float32Array(0), ids: [], times: new Float64Array(0) }, size: 0, startedAt: 0, hyper: {}, ...(scope && { scope }) };
        emit(advance(base, { step: seen.step + 1, size: 0, startedAt: performance.now() }), undefined, undefined);
      },
      release: disposeStep,
      teardown: () => subscription?.unsubscribe(),
      run: onRun,
    };
  };

  const evaluate: OperatorFunction<Step<ExampleBatch>, Step<ExampleBatch>> = (source) =>
    new Observable<Step<ExampleBatch>>((subscriber) => {
      let handlers: ReturnType<ReturnType<typeof stage>> | undefined;
      const operator = operate<Step<ExampleBatch>, Step<ExampleBatch>>((out) => (handlers = stage(false, undefined)(out)));
      return watchRuns(source, (scope) => handlers?.run(scope)).pipe(operator).subscribe(subscriber);
    });
  return fusable(evaluate, { stage: 'pass', handlers: (g) => stage(true, analyticScore(model, g)) as (out: StepOutput) => PassStage, examples: true });
}
