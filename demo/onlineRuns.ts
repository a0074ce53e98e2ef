import { BehaviorSubject, defer, finalize, identity, of, switchAll, throwError, type Observable } from 'rxjs';
import type { ExampleBatch } from '../src/ExampleBatch';
import { RxgradError, shown } from '../src/RxgradError';
import { sgd } from '../src/index';
import { adwin } from '../src/drift/adwin';
import { accuracy } from '../src/metrics/accuracy';
import { logLoss } from '../src/metrics/logLoss';
import { majority } from '../src/metrics/majority';
import { noChange } from '../src/metrics/noChange';
import { rolling } from '../src/metrics/rolling';
import { logisticRegression } from '../src/models/logisticRegression';
import type { ExampleTable } from '../src/online/ExampleTable';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { detectDrift } from '../streams/operators/detectDrift';
import { gradients } from '../streams/operators/gradients';
import { learningRate } from '../streams/operators/learningRate';
import { optimize } from '../streams/operators/optimize';
import { override } from '../streams/operators/override';
import { progressiveValidation, type Label } from '../streams/operators/progressiveValidation';
import type { MetricsServer } from '../streams/sinks/MetricsServer';
import { elec2 } from '../streams/sources/elec2';
import { ingest, type IngestSource } from '../streams/sources/ingest';
import { replay } from '../streams/sources/replay';
import type { Step, StepResult } from '../streams/Step';
import type { Experiment, RunControls } from './Experiment';

/** Elec2's features per example (period, NSW price and demand, VIC price and demand, transfer). */
const ELEC2_FEATURES = 6;
/** Examples in the rolling accuracy's window. */
const ROLLING = 500;

/**
 * Test-then-train on a stream of Elec2 batches, the same for a replayed and a live run:
 * `progressiveValidation` (online logistic regression, zeros; accuracy, rolling accuracy over
 * the last 500 examples, log loss; noChange and majority beside it) → `detectDrift(adwin())`
 * (mark only) → `gradients` → `learningRate(lr)` (the dashboard's live lr from the next step
 * on) → `optimize(sgd())` → `applyUpdates`. The model is made per subscription and freed with it.
 */
function testThenTrain(steps: Observable<Step<ExampleBatch>>, lr: number, controls: RunControls, labels?: Observable<Label>): Observable<StepResult> {
  return defer(() => {
    const model = logisticRegression(ELEC2_FEATURES);
    return steps.pipe(
      progressiveValidation(model, {
        metrics: [accuracy(), rolling(accuracy(), { window: ROLLING }), logLoss()],
        baselines: [noChange(), majority()],
        ...(labels && { labels }),
      }),
      detectDrift(adwin()),
      gradients(model.loss, model.params),
      learningRate(lr),
      controls.lr ? override('lr', controls.lr) : identity,
      optimize(sgd()),
      applyUpdates(model.params),
      finalize(() => model.dispose()),
    );
  });
}

/** What an Elec2 replay run is: its pace, batch and learning rate, and optionally its table. */
export interface Elec2ReplaySpec {
  /** Examples per second (the dashboard sees them arrive). */
  readonly rate: number;
  /** Examples per step (1: River's per-example test-then-train; larger batches learn less per example). */
  readonly batchSize: number;
  readonly lr: number;
  /** The rows replayed (default: all of Elec2, loaded at the first run). */
  readonly table?: ExampleTable;
}

let elec2Table: ExampleTable | undefined;

/**
 * Elec2 replayed in time order at `rate` examples/s, test-then-train (see `testThenTrain`): the
 * dashboard's online view, with pause (the replay's `paused`), stop, the live lr, and restart
 * with an edited `lr` or `rate`.
 *
 * @example
 * const e = elec2Replay({ rate: 300, batchSize: 1, lr: 1 });
 * e.run({ paused, lr }).subscribe((r) => console.log(r.examples, r.online?.metrics?.['rolling.accuracy']));
 */
export function elec2Replay(spec: Elec2ReplaySpec): Experiment {
  return {
    id: 'online-elec2-replay',
    name: `Elec2 replayed, logistic regression (${spec.rate} examples/s)`,
    group: 'online',
    config: {
      model: 'logistic regression',
      optimizer: 'sgd',
      lr: spec.lr,
      batchSize: spec.batchSize,
      rate: spec.rate,
      detector: 'adwin',
      baselines: 'noChange, majority',
      data: `Elec2${spec.table ? ` (${spec.table.n} rows)` : ''}, in time order`,
    },
    run: (controls: RunControls = {}) =>
      defer(() => {
        const h = { lr: spec.lr, rate: spec.rate, ...controls.hyper };
        const table = spec.table ?? (elec2Table ??= elec2());
        const steps = replay(table, { batchSize: spec.batchSize, rate: h.rate, ...(controls.paused && { paused: controls.paused }) });
        return testThenTrain(steps, h.lr, controls);
      }),
  };
}

/** What a live ingest run is: its ingest id (what producers name), batch, queue and learning rate. */
export interface Elec2IngestSpec {
  /** The run's ingest id on the server (`produce --run`; `elec2`, produce's default). */
  readonly ingestId: string;
  /** Examples per step (1: each example is predicted with the parameters learned from every earlier one, as River does). */
  readonly batchSize: number;
  /** The bounded queue (policy `block`: the producer's acks wait while it is full). */
  readonly capacity: number;
  readonly lr: number;
}

/** One ingest endpoint per server and run, shared by the run's restarts (an ingest id is taken once per server). */
interface Endpoint {
  readonly source: IngestSource;
  /** The dashboard's pause of the run subscribed now. */
  readonly paused: BehaviorSubject<Observable<boolean>>;
}

const endpoints = new WeakMap<MetricsServer, Map<string, Endpoint>>();

function endpointOf(server: MetricsServer, spec: Elec2IngestSpec): Endpoint {
  let byId = endpoints.get(server);
  if (!byId) endpoints.set(server, (byId = new Map()));
  let ep = byId.get(spec.ingestId);
  if (!ep) {
    const paused = new BehaviorSubject<Observable<boolean>>(of(false));
    const source = ingest(server, spec.ingestId, {
      batchSize: spec.batchSize,
      // Fixed by the model, not by the first example: a bad first example is rejected, not taken as the width.
      features: 6,
      classes: 2,
      queue: { capacity: spec.capacity, policy: 'block' },
      paused: paused.pipe(switchAll()),
    });
    byId.set(spec.ingestId, (ep = { source, paused }));
  }
  return ep;
}

/**
 * Elec2 (or anything with 6 features and a 0/1 label) fed live by producers through the server's
 * ingest endpoint, test-then-train as `elec2Replay`, labels sent later joined by id.
 *
 * 1. The run needs `controls.server` (the server it is launched on); its ingest endpoint
 *    `spec.ingestId` is made there at the first run and kept for its restarts.
 * 2. Without a producer the run waits (running, no point yet); `demo/produce.ts <address>`
 *    feeds it Elec2. The queue holds `capacity` examples (policy `block`): a producer is paced
 *    by training through its withheld acks, and the dashboard's pause holds training (the queue
 *    fills, then the producer waits).
 *
 * @example
 * const e = elec2Ingest({ ingestId: 'elec2', batchSize: 1, capacity: 1000, lr: 1 });
 * server.launch({ id: e.id, name: e.name, group: e.group }, (c) => e.run({ ...c, server }));
 * // elsewhere: npx tsx demo/produce.ts <address printed> --rate 300
 */
export function elec2Ingest(spec: Elec2IngestSpec): Experiment {
  return {
    id: 'online-elec2-ingest',
    name: `Live ingest "${spec.ingestId}", logistic regression`,
    group: 'online',
    config: {
      model: 'logistic regression',
      optimizer: 'sgd',
      lr: spec.lr,
      batchSize: spec.batchSize,
      queue: `${spec.capacity} examples, block`,
      detector: 'adwin',
      baselines: 'noChange, majority',
      producer: `npx tsx demo/produce.ts <address>${spec.ingestId === 'elec2' ? '' : ` --run ${spec.ingestId}`}`,
    },
    run: (controls: RunControls = {}) =>
      defer(() => {
        if (!controls.server) {
          return throwError(() => new RxgradError('server', 'the MetricsServer the run is launched on (controls.server)', shown('none')));
        }
        const ep = endpointOf(controls.server, spec);
        ep.paused.next(controls.paused ?? of(false));
        return testThenTrain(ep.source.steps, controls.hyper?.lr ?? spec.lr, controls, ep.source.labels);
      }),
  };
}

/** The online runs of `npm start`: Elec2 replayed at 300 examples/s, and a live run producers feed. */
export const onlineRuns: readonly Experiment[] = [
  elec2Replay({ rate: 300, batchSize: 1, lr: 1 }),
  elec2Ingest({ ingestId: 'elec2', batchSize: 1, capacity: 1000, lr: 1 }),
];
