import type { Msg, NatsConnection } from '@nats-io/nats-core';
import * as tf from '@tensorflow/tfjs';
import { Observable } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import type { Params, Tensors } from '../../src/types';
import { fromValues, values } from '../../src/kernels/values';
import { SOURCE_KEY, sourcePosition } from '../../src/online/SourcePosition';
import { decodeGradient } from '../../src/parallel/gradientMessage';
import { encodeReply } from '../../src/parallel/gradientReply';
import { GradientGate, type GateState } from '../../src/parallel/GradientGate';
import type { ArraySizes } from '../../src/parallel/float32Base64';
import { jsonBytes } from '../../src/parallel/messageJson';
import { modelJson } from '../../src/parallel/modelMessage';
import type { StalenessOptions } from '../../src/parallel/stalenessPolicy';
import { inRange, positiveInt } from '../../src/validate';
import { RunScope } from '../RunScope';
import type { Step } from '../Step';
import { natsConnect, natsServers, type NatsServers } from './natsConnect';

/** The subjects of one updater, under its prefix (default `rxgrad.updater`). */
export interface UpdaterSubjects {
  /** Workers send gradients here (request–reply). */
  readonly grads: string;
  /** Requests for the current model version. */
  readonly model: string;
  /** Every new version is published here. */
  readonly versions: string;
  /** With `ackAfter: 'checkpoint'`: `{"ticket": T}` once a checkpoint holding gradients 1 … T is durable. */
  readonly committed: string;
}

const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The subjects an updater listens and publishes on, under `prefix` (checked: dot-separated
 * tokens of letters, digits, `_` and `-`, no wildcards).
 *
 * @example
 * updaterSubjects('rxgrad.updater'); // { grads: 'rxgrad.updater.grads', model: 'rxgrad.updater.model', versions: 'rxgrad.updater.versions', committed: 'rxgrad.updater.committed' }
 */
export function updaterSubjects(prefix: unknown = 'rxgrad.updater'): UpdaterSubjects {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) throw new RxgradError('updater', 'a subject prefix of dot-separated letters, digits, _ or - (no wildcards)', prefix);
  return { grads: `${prefix}.grads`, model: `${prefix}.model`, versions: `${prefix}.versions`, committed: `${prefix}.committed` };
}

/** What an updater step's `batch` says about the gradient it applies (no tensors). */
export interface GradientBatch {
  /** Examples the gradient was computed on, and their stream sequences. */
  readonly n: number;
  readonly sequences: readonly number[];
  /** The version the worker computed against, its staleness τ and the weight w(τ) applied. */
  readonly version: number;
  readonly staleness: number;
  readonly weight: number;
  readonly worker: string;
}

/** Options of `gradientUpdater`. */
export interface GradientUpdaterOptions {
  /** NATS server URL(s). */
  readonly servers: NatsServers;
  /** The parameters being trained: the same record `applyUpdates(params)` updates. */
  readonly params: Params;
  /** The staleness bound: gradients more than `maxStaleness` versions old are dropped; `mode: 'downweight'` scales the others by 1/(1 + τ). */
  readonly staleness: StalenessOptions;
  /** Subject prefix (default `rxgrad.updater`): the workers' `updater` option. */
  readonly updater?: string;
  /**
   * When the workers ack their examples (see 4 below): `'apply'` (default) on the answer, once the
   * update is made; `'checkpoint'` once a checkpoint holding it is durable (put `checkpoint` after
   * `applyUpdates`) — nothing is lost when the updater dies.
   */
  readonly ackAfter?: 'apply' | 'checkpoint';
  /** Complete once this many examples are accounted for (trained or dropped as stale; a resumed run counts its checkpoint's). Default: never. */
  readonly examples?: number;
  /** Complete after this many ms without a gradient. Default: never. */
  readonly idleMs?: number;
  /** The checkpoint this run resumes from (`RunScope.save()`'s data, e.g. `resume(dir, params).checkpoint`). */
  readonly resume?: { readonly state: Readonly<Record<string, unknown>> };
}

/** What the updater saves under `source` in its run's checkpoints. */
interface UpdaterPosition {
  readonly step: number;
  readonly examples: number;
  readonly ingest: { readonly received: number; readonly dropped: number; readonly rejected: number };
  readonly gate: GateState;
}

/**
 * The updater of data-parallel training: a source of steps whose gradients are the workers'
 * (`gradientWorker`), for the ordinary `optimize(transform) → applyUpdates(params)` pipe — every
 * optimizer, schedule, clipping and checkpoint works unchanged.
 *
 *   version V = updates applied;  a gradient g computed at version v has staleness τ = V − v
 *   and is applied as w(τ)·g (`stalenessPolicy`: w = 1, or 1/(1 + τ), for τ ≤ k; dropped for τ > k)
 *
 * 1. Connects to NATS and answers on `<updater>.grads` (gradient requests), `<updater>.model`
 *    (the current version, for a worker that starts), and publishes each new version on
 *    `<updater>.versions` (`modelJson`: the parameters as base64 float32, encoded once per version).
 * 2. Each gradient (`decodeGradient`, checked against the parameters' sizes) goes through a
 *    `GradientGate`: a **duplicate** (some of its stream sequences already accounted for — a
 *    message JetStream delivered again) is refused, naming them; a **stale** one (τ > k) is
 *    dropped and its examples recorded as accounted; otherwise it is **applied**: a step is
 *    emitted with `grads` = w·g, `loss`, `params`, `batch` (a `GradientBatch`), `size` n,
 *    `examples` (trained so far), `online.metrics.accuracy` (the workers' test-then-train
 *    predictions: correct / predicted, over applied and stale gradients), `online.ingest`
 *    (received = accounted, trained, dropped = stale examples) and `info` (`staleness`, `weight`,
 *    `stale`, `staleExamples`, `duplicates`, `rejected`).
 * 3. The reply — `applied`, `stale` or `duplicate`, with the newest version — is sent after
 *    `next(step)` returns, that is after `applyUpdates` made the update: the pipe between the
 *    updater and `applyUpdates` must be synchronous (rxgrad's operators are; a `delay` or
 *    `observeOn` there would make the workers compute against versions without it). The worker
 *    acks its data messages on that reply (see `gradientWorker`).
 *    A run that ends inside a step (a `take`, an error downstream) sends no answer for it: that
 *    worker fails after its `requestTimeoutMs`, and the messages come back after the ack wait.
 * 4. **When the examples are acked.** With `ackAfter: 'apply'`, on the answer: a crash of the
 *    updater loses the updates since its last checkpoint (their messages were acked). With
 *    `ackAfter: 'checkpoint'`, every answer carries the gradient's ticket (`GradientGate.tickets`)
 *    and each durable checkpoint publishes `{"ticket": T}` on `<updater>.committed`
 *    (`RunScope.committed`); the worker keeps its messages unacked (alive with `working()`) until
 *    their ticket is committed. A crash then redelivers exactly the examples whose effect was not
 *    in the last checkpoint, and the resumed updater (its ledger restored with it) trains them
 *    once — the `jetstream()` source's guarantee, with several workers.
 * 5. A malformed gradient is answered with `{"error": reason}` and counted in `info.rejected`;
 *    the run goes on.
 * 6. Completes after `examples` examples are accounted for, or `idleMs` without a gradient;
 *    the connection is drained on complete, error and unsubscribe.
 * 7. Checkpointable: the step, examples, counters and the ledger go into the run's checkpoint
 *    under `source`; with `resume`, the run continues from them (restore the parameters and
 *    the optimizer with the same checkpoint: `resume(dir, params)`).
 * 8. Bad options are an `RxgradError` naming the field, when called.
 *
 * @example
 * const model = logisticRegression(6);
 * gradientUpdater({ servers: 'nats://127.0.0.1:4222', params: model.params, staleness: { maxStaleness: 4 } })
 *   .pipe(optimize(sgd({ lr: 0.5 })), applyUpdates(model.params))
 *   .subscribe((r) => console.log(r.step, r.online?.metrics?.accuracy));
 */
export function gradientUpdater(options: GradientUpdaterOptions): Observable<Step<GradientBatch>> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { servers, params, staleness, … }', options);
  const servers = natsServers('servers', options.servers);
  const { params } = options;
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  const names = Object.keys(params);
  for (const name of names) if (!(params[name] instanceof tf.Variable)) throw new RxgradError(`params.${name}`, 'a tf.Variable', params[name]);
  new GradientGate(options.staleness); // checks `staleness` now
  const subjects = updaterSubjects(options.updater);
  const examples = options.examples === undefined ? undefined : positiveInt('examples', options.examples);
  const ackAfter = options.ackAfter ?? 'apply';
  if (ackAfter !== 'apply' && ackAfter !== 'checkpoint') throw new RxgradError('ackAfter', "'apply' or 'checkpoint'", ackAfter);
  const idleMs = options.idleMs === undefined ? undefined : inRange('idleMs', options.idleMs, { min: 0, minOpen: true });
  const sizes: ArraySizes = Object.fromEntries(names.map((name) => [name, params[name].size]));

  return new Observable<Step<GradientBatch>>((subscriber) => {
    const scope = RunScope.open(options.resume?.state);
    let nc: NatsConnection | undefined;
    let idle: ReturnType<typeof setTimeout> | undefined;
    subscriber.add(() => {
      clearTimeout(idle);
      nc?.drain().catch(() => undefined);
      scope.end();
    });
    let gate: GradientGate;
    let rejected = 0;
    try {
      const saved = scope.restored<UpdaterPosition>(SOURCE_KEY);
      if (saved !== undefined) {
        sourcePosition(saved);
        if (saved.gate === null || typeof saved.gate !== 'object') throw new RxgradError('resume.state.source.gate', "a gradientUpdater's saved state (the checkpoint is another source's)", saved.gate);
      }
      gate = new GradientGate(options.staleness, saved?.gate);
    } catch (err) {
      subscriber.error(err);
      return;
    }
    scope.register(SOURCE_KEY, {
      save: (): UpdaterPosition => {
        const c = gate.state;
        return { step: c.version, examples: c.trained, ingest: { received: c.trained + c.staleExamples, dropped: c.staleExamples, rejected: 0 }, gate: gate.save() };
      },
      committed: (saved) => {
        const { gate: g } = saved as UpdaterPosition;
        if (ackAfter === 'checkpoint') nc?.publish(subjects.committed, jsonBytes(JSON.stringify({ ticket: g.version + g.stale })));
      },
    });
    const commit = () => (ackAfter === 'checkpoint' ? gate.tickets : undefined);
    const encodeModel = (): { text: string; bytes: Uint8Array } => {
      const current: Record<string, Float32Array> = {};
      for (const name of names) current[name] = values(params[name]);
      const text = modelJson({ version: gate.state.version, params: current });
      return { text, bytes: jsonBytes(text) };
    };
    let model = encodeModel();

    const armIdle = () => {
      if (idleMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => subscriber.complete(), idleMs);
    };
    const checkDone = () => {
      const c = gate.state;
      if (examples !== undefined && c.trained + c.staleExamples >= examples) subscriber.complete();
    };

    const onGradient = (m: Msg) => {
      if (subscriber.closed) return;
      armIdle();
      let g, d;
      try {
        g = decodeGradient(m.data, sizes);
        d = gate.admit(g);
      } catch (err) {
        rejected++;
        m.respond(jsonBytes(JSON.stringify({ error: (err as Error).message })));
        return;
      }
      if (d.status !== 'applied') {
        m.respond(encodeReply({ status: d.status, staleness: d.staleness, duplicates: d.status === 'duplicate' ? d.duplicates : [], commit: commit() }, model.text));
        checkDone();
        return;
      }
      const grads: Tensors = {};
      for (const name of names) {
        const gv = g.grads[name];
        if (d.weight !== 1) for (let i = 0; i < gv.length; i++) gv[i] *= d.weight;
        grads[name] = fromValues(gv, params[name].shape);
      }
      const c = gate.state;
      const step: Step<GradientBatch> = scope.own({
        step: c.version + 1,
        epoch: 1,
        batch: { n: g.n, sequences: g.sequences, version: g.version, staleness: d.staleness, weight: d.weight, worker: g.worker },
        size: g.n,
        examples: c.trained,
        startedAt: performance.now(),
        hyper: {},
        params,
        loss: fromValues(Float32Array.of(g.loss), []) as tf.Scalar,
        grads,
        scope,
        online: {
          metrics: { accuracy: c.correct / c.predicted },
          ingest: { received: c.trained + c.staleExamples, queued: 0, trained: c.trained, dropped: c.staleExamples, rejected: 0, lag: 0 },
        },
        info: { staleness: d.staleness, weight: d.weight, stale: c.stale, staleExamples: c.staleExamples, duplicates: c.duplicates, rejected },
      });
      // The version counts the update before it is made, so a checkpoint written at this step holds both.
      gate.applied();
      subscriber.next(step);
      if (subscriber.closed) return;
      model = encodeModel();
      m.respond(encodeReply({ status: 'applied', staleness: d.staleness, duplicates: [], commit: commit() }, model.text));
      nc!.publish(subjects.versions, model.bytes);
      checkDone();
    };

    natsConnect(servers, 'rxgrad-updater').then(
      (conn) => {
        if (subscriber.closed) {
          conn.close().catch(() => undefined);
          return;
        }
        nc = conn;
        conn.subscribe(subjects.model, { callback: (_err, m) => void m.respond(model.bytes) });
        conn.subscribe(subjects.grads, { callback: (_err, m) => onGradient(m) });
        armIdle();
      },
      // A missing client package is already an RxgradError naming it.
      (err) => subscriber.error(err instanceof RxgradError ? err : new RxgradError('servers', 'a reachable NATS server', servers, (err as Error).message)),
    );
  });
}
