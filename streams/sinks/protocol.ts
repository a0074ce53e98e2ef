import type { StepResult } from '../Step';
import type { Interval } from '../../src/validate';

/**
 * The dashboard protocol spoken by `MetricsServer` (JSON text frames over one WebSocket at
 * `/ws?token=…`). Types only: the page imports them too.
 *
 * The upgrade request is refused (and never upgraded) with 401 without a valid token, 403 for a
 * `Host` that is not the bound host, `localhost` or an IP address (DNS rebinding) or an `Origin`
 * other than the server's own, 503 beyond `maxClients` connections. A browser cannot read that
 * answer: a page learns the reason from a plain `GET /ws?token=…` (the same status and reason as
 * text; 426 when the socket would be accepted).
 *
 * Server → client, in order on connect:
 * 1. `hello` with every run's `RunInfo`;
 * 2. one `history` per run (its points so far, thinned beyond the history cap);
 * 3. then live `points` batches (with `missed` > 0 when a slow client's queue was coalesced),
 *    `run` whenever a run starts or changes status, and `ack` / `reject` answering each
 *    control message.
 *
 * Client → server: the `ControlMessage`s below, at most `maxMessageBytes` each. A point is a
 * `StepResult` as JSON (non-finite numbers arrive as `null`).
 *
 * @example
 * const ws = new WebSocket(`ws://127.0.0.1:8080/ws?token=${token}`);
 * ws.onmessage = (e) => { const m: ServerMessage = JSON.parse(e.data); if (m.type === 'hello') console.log(m.protocol); }; // 1
 * ws.send(JSON.stringify({ type: 'set', run: 'airfoil-adam', name: 'lr', value: 0.005, id: 1 }));
 */
export const PROTOCOL_VERSION = 1;

/** A 2-D objective f(x) = a1·x1² + a2·x2² whose contour the dashboard draws. */
export interface ContourSpec {
  readonly kind: 'quadratic';
  readonly a: readonly [number, number];
  readonly x0: readonly [number, number];
}

/** What a run is, as given when it is registered. */
export interface RunSpec {
  /** Unique on the server, e.g. `airfoil-adam`. */
  readonly id: string;
  /** Shown in the run table. */
  readonly name: string;
  /** Runs of one group share charts (e.g. `trace`, `airfoil`); default `default`. */
  readonly group?: string;
  /** Optimizer, hyperparameters and data, shown in the run table. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** For 2-D objectives: drawn as a contour with the run's `values.x` trajectory. */
  readonly objective?: ContourSpec;
  /** Reference values (e.g. the book's printed numbers), shown beside the run. */
  readonly book?: Readonly<Record<string, number>>;
  /**
   * Hyperparameters the run takes as live streams, with their allowed interval: a `set`
   * message for any other name, or a value outside the interval, is rejected.
   */
  readonly live?: Readonly<Record<string, Interval>>;
  /**
   * The optimizers the run can swap between (a `swappable`'s names, wired to `optimize`'s
   * `switchTo`): an `optimizer` message naming another is rejected.
   */
  readonly optimizers?: readonly string[];
}

/** Lifecycle of a run. */
export type RunStatus = 'running' | 'paused' | 'done' | 'stopped' | 'error';

/** A run as the server describes it to clients. */
export interface RunInfo extends RunSpec {
  readonly group: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly live: Readonly<Record<string, Interval>>;
  readonly status: RunStatus;
  /** The error message when `status` is `error`. */
  readonly error?: string;
  /** Whether `restart` is accepted (runs started with `MetricsServer.launch`). */
  readonly restartable: boolean;
  /** Hyperparameters a `restart` may edit, with the values this run started with. */
  readonly editable: Readonly<Record<string, number>>;
  /** The run this one restarts, if any. */
  readonly restartOf?: string;
  /** Latest value of each live override set from a client. */
  readonly overrides: Readonly<Record<string, number>>;
  /** The optimizer a client last asked for (`optimizer` message), if any; the points' `info.optimizer` says which is in force. */
  readonly optimizer?: string;
  /** Points published so far. */
  readonly points: number;
  /**
   * Set when the run's history was dropped to stay within the server's `historyBudget`
   * (finished runs, oldest finished first): a joining client gets no points for it.
   */
  readonly evicted?: true;
  /** Set on the last `run` message of a run the server forgot (beyond `maxFinishedRuns`): drop it. */
  readonly removed?: true;
}

/** First message on a connection: every run, and the limits the server enforces. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly protocol: number;
  readonly runs: readonly RunInfo[];
  /** Limits the server enforces, so a client can respect them (see `MetricsServerOptions`). */
  readonly limits: {
    readonly maxMessageBytes: number;
    readonly historyCap: number;
    /** Points kept across finished runs; beyond it the oldest finished runs' histories are evicted. */
    readonly historyBudget: number;
    /** Finished runs listed at most; the oldest are forgotten beyond it (`RunInfo.removed`). */
    readonly maxFinishedRuns: number;
    /** Running or paused runs at most; a `restart` beyond it is rejected. */
    readonly maxRuns: number;
    /** Control messages per second and client (`null`: unlimited), in bursts of at most `controlBurst`. */
    readonly controlsPerSecond: number | null;
    readonly controlBurst: number;
  };
}

/** A run's points so far, sent once per run on connect. */
export interface HistoryMessage {
  readonly type: 'history';
  readonly run: string;
  /** Oldest first; every `stride`-th point, plus the latest. */
  readonly points: readonly StepResult[];
  /** Points published so far (≥ `points.length`). */
  readonly total: number;
  /** Spacing of the kept points (0 when evicted). */
  readonly stride: number;
  /** The history was evicted (see `RunInfo.evicted`): `points` is empty. */
  readonly evicted?: true;
}

/** A batch of live points of one run. */
export interface PointsMessage {
  readonly type: 'points';
  readonly run: string;
  readonly points: readonly StepResult[];
  /** Points of this run dropped for this client since its previous batch (slow client). */
  readonly missed: number;
}

/** A run started or changed (status, overrides). */
export interface RunMessage {
  readonly type: 'run';
  readonly run: RunInfo;
}

/** A control message was carried out; `detail` says what was done. */
export interface AckMessage {
  readonly type: 'ack';
  readonly id?: number | string;
  readonly detail: string;
}

/** A control message was refused; `reason` says why ("Expected `value` a finite number, got \"x\""). */
export interface RejectMessage {
  readonly type: 'reject';
  readonly id?: number | string;
  readonly reason: string;
}

/** Anything the server sends. */
export type ServerMessage = HelloMessage | HistoryMessage | PointsMessage | RunMessage | AckMessage | RejectMessage;

interface Addressed {
  /** Echoed in the `ack` / `reject` answer. */
  readonly id?: number | string;
  /** The run id. */
  readonly run: string;
}

/** Pause, resume or stop a run. */
export interface LifecycleMessage extends Addressed {
  readonly type: 'pause' | 'resume' | 'stop';
}

/** Set a live hyperparameter (applies from the run's next step on). */
export interface SetMessage extends Addressed {
  readonly type: 'set';
  readonly name: string;
  readonly value: number;
}

/** Swap the run's optimizer to one of `RunSpec.optimizers` (applies from the run's next step on). */
export interface OptimizerMessage extends Addressed {
  readonly type: 'optimizer';
  readonly name: string;
}

/** Stop the run (if still going) and start it again as a new run with edited hyperparameters. */
export interface RestartMessage extends Addressed {
  readonly type: 'restart';
  readonly hyper: Readonly<Record<string, number>>;
}

/** Anything a client may send. */
export type ControlMessage = LifecycleMessage | SetMessage | RestartMessage | OptimizerMessage;
