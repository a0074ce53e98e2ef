import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { inRange, type Interval } from '../../src/validate';
import type { StepResult } from '../Step';
import { Decimator } from './Decimator';
import type { ControlMessage, HistoryMessage, RunInfo, RunSpec, RunStatus } from './protocol';

/** What a `RunChannel` tells its server. */
export interface RunHub {
  /** A point was published. */
  point(run: string, result: StepResult): void;
  /** The run's description changed (status, overrides, history evicted). */
  changed(info: RunInfo): void;
  /** The run ended (done, stopped or error); called once, after `changed`. */
  ended?(run: RunChannel): void;
}

/** Options of a `RunChannel` (set by its server). */
export interface RunChannelOptions {
  /** Points kept for late joiners before thinning (default 10,000). */
  readonly historyCap?: number;
  /**
   * Accept `restart`: stop this run if still going, start it anew with `hyper` edited; returns
   * the new run's id, or throws an `RxgradError` saying why not (the server's limits).
   */
  readonly restart?: (hyper: Readonly<Record<string, number>>) => string;
  /** Hyperparameters a restart may edit, with their current values. */
  readonly editable?: Readonly<Record<string, number>>;
  /** The run this one restarts. */
  readonly restartOf?: string;
}

const ENDED: readonly RunStatus[] = ['done', 'stopped', 'error'];

/**
 * One run on a metrics server: its description, bounded history and control streams.
 *
 * 1. `publish(result)` keeps the point in a `Decimator` history (late joiners get it) and
 *    hands it to the hub, which queues it for the clients; nothing is serialized on the
 *    training path.
 * 2. Control (`control(message)`), answered with a short text or an `RxgradError` saying why not:
 *    `pause` / `resume` emit on `paused` (wire it into the source's `paused` option); `stop`
 *    emits on `stopRequested` (`wsMetrics` completes the run on it); `set` checks the name is
 *    one of `spec.live` and the value in its interval, then emits on `live[name]`; `restart`
 *    checks every name is in `editable` (and in its live interval, if it has one), also after
 *    the run ended; `optimizer` checks the name is one of `spec.optimizers`, then emits it on
 *    `optimizer` (and `info.optimizer` shows it). Other controls of an ended run are rejected.
 * 3. Names are looked up as own properties only (null-prototype maps): `constructor`,
 *    `toString`, `__proto__` … are names like any other, rejected unless the spec declares them.
 * 4. `end(status)` records how the run ended (first call wins). `evict()` drops an ended run's
 *    history (its server's `historyBudget`): `info.evicted` and the history message say so.
 *
 * @example
 * const run = server.run({ id: 'adam', name: 'Adam', live: { lr: { min: 0, minOpen: true } } });
 * minibatches(data, { batchSize: 10, paused: run.paused })
 *   .pipe(gradients(loss, params), learningRate(0.01), optimize(adam()), applyUpdates(params), wsMetrics(run))
 *   .subscribe();
 */
export class RunChannel {
  readonly id: string;
  private status: RunStatus = 'running';
  private error: string | undefined;
  private count = 0;
  private attached = false;
  private readonly overrides = new Map<string, number>();
  private history: Decimator<StepResult> | undefined;
  private readonly pausedSubject = new BehaviorSubject<boolean>(false);
  private readonly stopSubject = new Subject<void>();
  private readonly liveSubjects = new Map<string, Subject<number>>();
  private readonly optimizerSubject = new Subject<string>();
  private requestedOptimizer: string | undefined;
  private readonly editable: ReadonlyMap<string, number>;
  /** `true` while paused from a client; starts `false`. */
  readonly paused: Observable<boolean> = this.pausedSubject.asObservable();
  /** Emits once when a client asks to stop the run. */
  readonly stopRequested: Observable<void> = this.stopSubject.asObservable();
  /** A stream per live hyperparameter of `spec.live`, emitting each value set from a client. */
  readonly live: Readonly<Record<string, Observable<number>>>;
  /** The optimizer names clients ask for (one of `spec.optimizers`): wire it into `optimize`'s `switchTo`. */
  readonly optimizer: Observable<string> = this.optimizerSubject.asObservable();

  constructor(
    readonly spec: RunSpec,
    private readonly hub: RunHub,
    private readonly options: RunChannelOptions = {},
  ) {
    if (typeof spec?.id !== 'string' || spec.id.length === 0 || spec.id.length > 200) throw new RxgradError('id', 'a string of 1–200 characters', spec?.id);
    if (typeof spec.name !== 'string') throw new RxgradError('name', 'a string', spec.name);
    this.id = spec.id;
    this.history = new Decimator(options.historyCap ?? 10_000);
    this.editable = new Map(Object.entries(options.editable ?? {}));
    const live: Record<string, Observable<number>> = Object.create(null);
    for (const name of Object.keys(spec.live ?? {})) {
      const subject = new Subject<number>();
      this.liveSubjects.set(name, subject);
      live[name] = subject.asObservable();
    }
    this.live = live;
  }

  /** Whether the run has ended (done, stopped or error). */
  get ended(): boolean {
    return ENDED.includes(this.status);
  }

  /** Points kept for late joiners (0 once evicted). */
  get kept(): number {
    return this.history === undefined ? 0 : this.history.size;
  }

  /** The run as clients see it. */
  get info(): RunInfo {
    return {
      ...this.spec,
      group: this.spec.group ?? 'default',
      config: this.spec.config ?? {},
      live: this.spec.live ?? {},
      status: this.status,
      ...(this.error !== undefined && { error: this.error }),
      restartable: this.options.restart !== undefined,
      ...(this.options.restartOf !== undefined && { restartOf: this.options.restartOf }),
      editable: Object.fromEntries(this.editable),
      overrides: Object.fromEntries(this.overrides),
      ...(this.requestedOptimizer !== undefined && { optimizer: this.requestedOptimizer }),
      points: this.count,
      ...(this.history === undefined && { evicted: true }),
    };
  }

  /** The history message a joining client receives. */
  historyMessage(): string {
    const { history } = this;
    const msg: HistoryMessage = history
      ? { type: 'history', run: this.id, total: history.total, stride: history.stride, points: history.snapshot() }
      : { type: 'history', run: this.id, total: this.count, stride: 0, points: [], evicted: true };
    return JSON.stringify(msg);
  }

  /** The kept points (the history a late joiner gets; none once evicted). */
  points(): StepResult[] {
    return this.history?.snapshot() ?? [];
  }

  /** Drop the kept points of an ended run (to stay within the server's history budget); says so in `info`. */
  evict(): void {
    if (!this.ended) throw new RxgradError('run', 'an ended run (a running run keeps its history)', shown(`run \`${this.id}\` (${this.status})`));
    if (this.history === undefined) return;
    this.history = undefined;
    this.hub.changed(this.info);
  }

  /** Claim the channel for one pipeline (`wsMetrics` does); a second claim throws. */
  attach(): void {
    if (this.attached) throw new RxgradError('run', 'a run channel not yet used by a pipeline (register a new run)', shown(`run \`${this.id}\``));
    this.attached = true;
  }

  publish(result: StepResult): void {
    this.count += 1;
    this.history?.push(result);
    this.hub.point(this.id, result);
  }

  end(status: 'done' | 'stopped' | 'error', error?: unknown): void {
    if (this.ended) return;
    this.status = status;
    if (status === 'error') this.error = error instanceof Error ? error.message : String(error);
    this.hub.changed(this.info);
    this.hub.ended?.(this);
  }

  /** Ask the run to stop (as a client's `stop` does). */
  requestStop(): void {
    this.stopSubject.next();
  }

  control(message: ControlMessage): string {
    if (this.ended && message.type !== 'restart') throw new RxgradError('run', 'a running or paused run', shown(`run \`${this.id}\` (${this.status})`));
    switch (message.type) {
      case 'pause':
        if (this.status === 'paused') throw new RxgradError('run', 'a running run', shown(`run \`${this.id}\` already paused`));
        this.setStatus('paused');
        this.pausedSubject.next(true);
        return `paused ${this.id}`;
      case 'resume':
        if (this.status !== 'paused') throw new RxgradError('run', 'a paused run', shown(`run \`${this.id}\` (${this.status})`));
        this.setStatus('running');
        this.pausedSubject.next(false);
        return `resumed ${this.id}`;
      case 'stop':
        this.requestStop();
        return `stopped ${this.id}`;
      case 'set': {
        const subject = this.liveSubjects.get(message.name);
        const names = [...this.liveSubjects.keys()];
        if (!subject) throw new RxgradError('name', names.length ? `one of the live hyperparameters (${names.join(', ')})` : 'a live hyperparameter (this run has none)', message.name);
        inRange(message.name, message.value, this.interval(message.name)!);
        this.overrides.set(message.name, message.value);
        this.hub.changed(this.info);
        subject.next(message.value);
        return `${message.name} = ${message.value} for ${this.id}`;
      }
      case 'optimizer': {
        const names = this.spec.optimizers ?? [];
        if (!names.includes(message.name)) throw new RxgradError('name', names.length ? `one of the run's optimizers (${names.join(', ')})` : 'an optimizer to swap to (this run has none)', message.name);
        this.requestedOptimizer = message.name;
        this.hub.changed(this.info);
        this.optimizerSubject.next(message.name);
        return `optimizer ${message.name} for ${this.id} from its next step`;
      }
      case 'restart': {
        if (!this.options.restart) throw new RxgradError('run', 'a run started with launch (restartable)', shown(`run \`${this.id}\``));
        const names = [...this.editable.keys()];
        for (const [name, value] of Object.entries(message.hyper)) {
          if (!this.editable.has(name)) throw new RxgradError(`hyper.${name}`, `absent (editable: ${names.join(', ') || 'none'})`, value);
          const interval = this.interval(name);
          if (interval) inRange(`hyper.${name}`, value, interval);
        }
        return `restarted as ${this.options.restart(message.hyper)}`;
      }
    }
  }

  /** The live interval of `name`, if the spec declares it as an own property. */
  private interval(name: string): Interval | undefined {
    const live = this.spec.live;
    return live !== undefined && Object.hasOwn(live, name) ? live[name] : undefined;
  }

  private setStatus(status: RunStatus): void {
    this.status = status;
    this.hub.changed(this.info);
  }
}
