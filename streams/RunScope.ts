import { RxgradError } from '../src/RxgradError';
import { disposeStep, type Step } from './Step';
import { ResultRecord } from './ResultRecord';

/** A part of a run whose state goes into checkpoints (an optimizer, metrics, a detector, the source). */
export interface Checkpointable {
  /** The part's state as JSON-able data, as of the last step it handled. */
  save(): unknown;
  /**
   * The checkpoint holding `saved` — what this part's `save()` returned — is durable (written
   * and synced by its store): e.g. a durable source acks the messages it covers. Optional.
   */
  committed?(saved: unknown): void;
}

/** Runs created so far (serials). */
let runs = 0;

/** The `RunHolds` of the rxgrad operators whose subscription is being set up now, innermost last. */
const subscribing: RunHolds[] = [];

/**
 * One run (one subscription of a source): what its steps share.
 *
 * 1. **Checkpointable state.** Each stateful operator registers a part under a key that is unique
 *    in the run (`register('optimizer', …)`); `save()` collects every part's state, and a scope
 *    created from a checkpoint's data hands each part its state back (`restored(key)`).
 * 2. **Ownership of the steps in flight.** The source records each step it emits (`own`), and
 *    `advance` records every newer version of it, so the scope always knows the tensors each
 *    open step holds. A step is finished when `disposeStep` frees it (`applyUpdates` does, after
 *    the update). Steps are kept in the order the source produced them, which every operator
 *    that passes steps on keeps (tap, filter, take, delay, observeOn, retry …).
 * 3. **Dropped steps.** When step t finishes, the open steps older than t can no longer arrive
 *    anywhere — an operator dropped them (filter, skip, sample, throttle) — and are freed.
 * 4. **The end of the run.** The scope is held by its source (until `end()`) and by every
 *    operator built with `operate` downstream of it — from its subscription (or, for a run
 *    started later by `repeat` or `retry`, from the moment its first step reaches the operator
 *    or one upstream of it) to its teardown, or until a step of a newer run reaches it. When the
 *    last hold is released — the whole pipeline has completed, failed or been unsubscribed —
 *    every step still open is freed (the step a throwing `tap` failed on, the steps a `delay`
 *    held when the subscriber left), and the scope is closed: steps are no longer recorded.
 *    A pipeline subscribed from inside another's callback is not held by the outer operators
 *    (except by those that have received nothing yet), so it ends on its own.
 *
 * Outside this contract: operators that reorder steps, or split them into branches that finish
 * out of order (a `mergeMap` with varying delays, `groupBy`) — a step still travelling behind a
 * newer finished one would be freed; and runs a higher-order operator (`concatMap`,
 * `switchMap`) starts after the operators downstream are running, when a `delay` or
 * `observeOn` follows — their last steps may be freed while still in it.
 *
 * Consequence for code that is not an rxgrad operator: a step it keeps after its run has ended
 * (`toArray()` at the end of a pipeline without `applyUpdates`, an async consumer) has been
 * freed — copy what you need while the run lasts, or `hold()` the scope and `release()` it.
 *
 * @example
 * const scope = RunScope.open(checkpoint?.state); // a source, per subscription (`drive` does it); scope.end() in its teardown
 * scope.register('metrics', { save: () => metricState });
 * const data = scope.save(); // { metrics: … }
 */
export class RunScope {
  private readonly parts = new Map<string, Checkpointable>();
  /** Creation order: a run opened later has a larger serial. */
  readonly serial = ++runs;
  /**
   * The newest version of every open step but the newest step, by step number, in the order the
   * source made them; the newest step's newest version is `newest` (a run with one step open at a
   * time — a synchronous pipeline — then makes no Map entry per step).
   */
  private readonly open = new Map<number, Step<unknown>>();
  private newest: Step<unknown> | undefined;
  private holds = 0;
  private sourceEnded = false;
  private isClosed = false;

  constructor(private readonly restoredState: Readonly<Record<string, unknown>> = {}) {}

  /**
   * A scope for one subscription of a source (call it in the subscribe function): held by the
   * source until it calls `end()` in its teardown, and by every `operate` operator whose
   * subscription is being set up around it and that has received nothing yet (downstream of
   * the source; see `RunHolds`).
   *
   * @example
   * new Observable((subscriber) => { const scope = RunScope.open(); …; return () => scope.end(); });
   */
  static open(restored?: Readonly<Record<string, unknown>>): RunScope {
    const scope = new RunScope(restored);
    scope.hold();
    for (const h of subscribing) if (h.waiting) h.take(scope);
    return scope;
  }

  /** Register a part; its key must be unique in the run. */
  register(key: string, part: Checkpointable): void {
    if (this.parts.has(key)) throw new RxgradError('key', `a checkpoint key not yet used in this run (${[...this.parts.keys()].join(', ')})`, key);
    this.parts.set(key, part);
  }

  /** The state a part had in the checkpoint this run resumes from, if any. */
  restored<T = unknown>(key: string): T | undefined {
    return Object.hasOwn(this.restoredState, key) ? (this.restoredState[key] as T) : undefined;
  }

  /** One part's state (`undefined` when no part is registered under `key`): cheaper than `save()` for one part. */
  saveOne(key: string): unknown {
    return this.parts.get(key)?.save();
  }

  /** Every registered part's state, by key. */
  save(): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, part] of this.parts) out[key] = part.save();
    return out;
  }

  /**
   * The checkpoint holding `state` (an object `save()` returned) is durable: each part hears of
   * it (`committed(state[key])`), in registration order. The checkpoint operator calls it once its
   * store has confirmed the write — never before, never for a failed write.
   */
  committed(state: Readonly<Record<string, unknown>>): void {
    for (const [key, part] of this.parts) if (part.committed && Object.hasOwn(state, key)) part.committed(state[key]);
  }

  /** Record `step` as the newest version of its step (by `step.step`); returns it. Ignored once closed. */
  own<S extends Step<any>>(step: S): S {
    if (this.isClosed) return step;
    const newest = this.newest;
    if (newest === undefined || newest.step === step.step) this.newest = step;
    else if (step.step > newest.step) {
      this.open.set(newest.step, newest);
      this.newest = step;
    } else this.open.set(step.step, step);
    return step;
  }

  /** Step `step` was freed: forget it, and free the open steps older than it (they were dropped). */
  finish(step: Step<unknown>): void {
    if (this.newest !== undefined && this.newest.step === step.step) this.newest = undefined;
    else if (!this.open.delete(step.step)) return;
    if (this.open.size === 0) return;
    // Every step in `open` is older than the newest (`own`): all are dropped when `step` was the newest.
    const dropped: Step<unknown>[] = [];
    for (const [t, s] of this.open) {
      if (t >= step.step) break;
      dropped.push(s);
      this.open.delete(t);
    }
    for (const s of dropped) disposeStep(s);
  }

  /** Keep the run's open steps alive until the matching `release()`. */
  hold(): void {
    if (!this.isClosed) this.holds++;
  }

  /** Release a hold; the last one closes the run and frees every step still open. */
  release(): void {
    if (this.isClosed || --this.holds > 0) return;
    this.isClosed = true;
    const left = [...this.open.values()];
    if (this.newest !== undefined) left.push(this.newest);
    this.open.clear();
    this.newest = undefined;
    for (const s of left) disposeStep(s);
  }

  /** The source has ended (complete, error, unsubscribe): releases its hold. Once only. */
  end(): void {
    if (this.sourceEnded) return;
    this.sourceEnded = true;
    this.release();
  }

  /** Whether the source has ended. */
  get ended(): boolean {
    return this.sourceEnded;
  }

  /** Whether the run is over (every hold released): its steps have all been freed. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Steps produced and not yet finished or freed. */
  get inFlight(): number {
    return this.open.size + (this.newest === undefined ? 0 : 1);
  }
}

/**
 * What one `operate` subscription holds: the runs whose steps may still reach it.
 *
 * 1. `subscribing(fn)` runs `fn` (the subscription to the operator's source). A source that
 *    opens its run meanwhile (`RunScope.open`) is held by every operator being subscribed that
 *    has received nothing yet — the operators downstream of it; an operator already running (a
 *    pipeline subscribed from inside another one's callback) is not. The operators downstream
 *    of this one (those being subscribed around it, not yet running) are remembered.
 * 2. `see(value)` follows the run of a step that arrives: the operator holds it, and so do the
 *    operators downstream of it (a run started later, by `repeat` or `retry`, is then held by
 *    them before its steps reach them through a `delay`). The held runs that are older than the
 *    step's and whose source has ended are released: steps keep their order, so theirs have
 *    all passed.
 * 3. `releaseAll()` (the operator's teardown) releases every hold; nothing is held after it.
 *
 * @example
 * const holds = new RunHolds();
 * holds.subscribing(() => source.subscribe(inner));
 */
export class RunHolds {
  private readonly held: RunScope[] = [];
  private downstream: readonly RunHolds[] = [];
  private last: RunScope | undefined;
  private running = false;
  private done = false;

  /** Whether the operator has received nothing yet (it is still being set up). */
  get waiting(): boolean {
    return !this.running && !this.done;
  }

  /** Run `fn` with this operator registered as being subscribed. */
  subscribing(fn: () => void): void {
    this.downstream = subscribing.filter((h) => h.waiting);
    subscribing.push(this);
    try {
      fn();
    } finally {
      subscribing.splice(subscribing.lastIndexOf(this), 1);
    }
  }

  /** Hold `scope` (once). */
  take(scope: RunScope): void {
    if (this.done || this.held.includes(scope) || scope.closed) return;
    scope.hold();
    this.held.push(scope);
  }

  /** A value reached the operator: follow the run of a step. */
  see(value: unknown): void {
    this.running = true;
    if (value === null || typeof value !== 'object') return;
    const scope = (value as { scope?: unknown }).scope;
    if (scope === this.last || !(scope instanceof RunScope)) return;
    this.last = scope;
    for (let i = this.held.length - 1; i >= 0; i--) {
      const s = this.held[i];
      if (s.serial < scope.serial && s.ended) {
        this.held.splice(i, 1);
        s.release();
      }
    }
    this.take(scope);
    for (const h of this.downstream) h.take(scope);
  }

  /** Release every hold (the operator's subscription ended). */
  releaseAll(): void {
    this.done = true;
    const held = this.held.splice(0);
    for (const s of held) s.release();
  }
}

/** Where a result linked by `linkScope` keeps its run: a symbol key, not enumerable. */
const SCOPE = Symbol('rxgrad.scope');

/**
 * The run a `StepResult` came from (recorded by `applyUpdates`), for operators after it that
 * need the run's state (`checkpoint`). Results stay plain data: the link is not an enumerable
 * property (a private field of the results `applyUpdates` builds, `ResultRecord`; a
 * non-enumerable symbol-keyed property of one linked by `linkScope`), so a copy of a result
 * (spread, `structuredClone`, JSON) has no run.
 *
 * @example
 * const scope = scopeOf(result); // undefined for a step made without a source
 */
export function scopeOf(result: object): RunScope | undefined {
  return ResultRecord.scopeOf(result) ?? (result as { [SCOPE]?: RunScope })[SCOPE];
}

/** Record that `result` (a copy of a result, say) belongs to `scope`; `result` must not be frozen. */
export function linkScope(result: object, scope: RunScope | undefined): void {
  if (scope) Object.defineProperty(result, SCOPE, { value: scope, configurable: true });
}
