import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import * as tf from '@tensorflow/tfjs';
import { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { RxgradError, shown } from '../../src/RxgradError';
import { analyticOf, type AnalyticLoss } from '../../src/fast/AnalyticLoss';
import { fitsParams } from '../../src/fast/analyticGrads';
import { fromValues, values } from '../../src/kernels/values';
import type { Model } from '../../src/models/Model';
import { checkExample } from '../../src/online/checkExample';
import { encodeDeadLetter } from '../../src/online/deadLetter';
import { decodeExampleMessage } from '../../src/online/exampleMessage';
import { yHatOf } from '../../src/online/yHatOf';
import type { ArraySizes } from '../../src/parallel/float32Base64';
import { encodeGradient } from '../../src/parallel/gradientMessage';
import { decodeReply } from '../../src/parallel/gradientReply';
import { decodeModel, type ModelMessage } from '../../src/parallel/modelMessage';
import { inRange, positiveInt } from '../../src/validate';
import { valueAndGrads } from '../../src/valueAndGrads';
import { loadNats } from './loadNats';
import { natsConnect, natsServers, type NatsServers } from './natsConnect';
import { ensureConsumer } from './ensureConsumer';
import { jetStreamName, streamNames } from './publishExamples';
import { updaterSubjects } from './gradientUpdater';

/** Options of `gradientWorker`. */
export interface GradientWorkerOptions {
  /** NATS server URL(s). */
  readonly servers: NatsServers;
  /** The worker's own copy of the model: its parameters are overwritten with each version it receives. */
  readonly model: Model;
  /** Examples per gradient (the last batch may be smaller). */
  readonly batchSize: number;
  /**
   * Messages asked for in one pull request (default 4 × batchSize): fewer requests, fewer
   * round trips and socket writes per example; the worker holds up to twice this many unacked.
   */
  readonly prefetch?: number;
  /** Stream and subject of the examples (default `rxgrad`, `rxgrad.examples`: `publishExamples`' defaults). */
  readonly stream?: string;
  readonly subject?: string;
  /** The durable consumer all workers share (default `rxgrad-workers`); created if missing. */
  readonly consumer?: string;
  /** The updater's subject prefix (default `rxgrad.updater`, see `gradientUpdater`). */
  readonly updater?: string;
  /** This worker's name (default `worker-<random>`). */
  readonly name?: string;
  /** A created consumer's ack wait (default 30,000 ms): an unacked message is delivered again after it. */
  readonly ackWaitMs?: number;
  /** A created consumer's bound on unacked messages (default 1,000). */
  readonly maxAckPending?: number;
  /** Complete after this many ms without a message (default: never; checked each second). */
  readonly idleMs?: number;
  /** How long to wait for the updater's answer (default 10,000 ms; also how long a starting worker waits for an updater). */
  readonly requestTimeoutMs?: number;
  /**
   * Gradients awaiting the updater's answer at a time (default 1). More hide the round trip —
   * the next batch is computed while the last gradient is on the wire — at the price of staleness:
   * a batch computed while j gradients of this worker are unanswered is ≥ j versions stale.
   */
  readonly inFlight?: number;
  /** Wait this long between computing a gradient and sending it: a simulated slow worker or link (staleness experiments). */
  readonly delayMs?: number;
  /** Where malformed messages go, with the reason (default `rxgrad.dead`, `ensureStream`'s dead-letter stream); `false`: terminated only. */
  readonly deadLetter?: string | false;
}

/** What a worker reports after each batch it settled (cumulative counts). */
export interface WorkerReport {
  readonly worker: string;
  /** Gradients sent (a recomputed one counts again). */
  readonly gradients: number;
  /** Examples acked: their gradient was applied, dropped as stale, or they were trained already. */
  readonly examples: number;
  /** Gradients the updater applied, dropped as stale, or refused as duplicates. */
  readonly applied: number;
  readonly stale: number;
  readonly duplicates: number;
  /** Malformed messages terminated (and dead-lettered). */
  readonly rejected: number;
  /** Messages answered but held unacked until the updater's checkpoint holds them (`ackAfter: 'checkpoint'`). */
  readonly held: number;
  /** The model version the worker holds, and the staleness of its last gradient. */
  readonly version: number;
  readonly staleness: number;
}

const FETCH_EXPIRES_MS = 1000;
/** A malformed message whose dead letter could not be stored is delivered again after this delay. */
const DEAD_LETTER_RETRY_MS = 1000;

/** One received example message, parsed. */
interface Received {
  readonly msg: JsMsg;
  readonly x: ArrayLike<number>;
  readonly y: number;
}

/** The model's gradient on arrays: the analytic pass when the model has one (`denseBackward`), else tfjs's autodiff (tensors freed at once). */
function gradientOf(model: Model): (batch: ExampleBatch) => { loss: number; grads: Record<string, Float32Array> } {
  const params = model.params;
  const names = Object.keys(params);
  const a: AnalyticLoss | undefined = analyticOf(model.loss);
  const analytic = a && fitsParams(a, params) && (a.layout.output !== 'linear' || a.layout.sizes.at(-1) === 1) ? a : undefined;
  if (analytic) {
    return (batch) => {
      const g = analytic.shapes.map((s) => new Float32Array(s.reduce((p, q) => p * q, 1)));
      const loss = analytic.backward(
        analytic.names.map((name) => values(params[name])),
        batch.x,
        batch.y,
        batch.n,
        g,
      );
      return { loss, grads: Object.fromEntries(analytic.names.map((name, i) => [name, g[i]])) };
    };
  }
  return (batch) => {
    const { value, grads } = valueAndGrads(() => model.loss(params, batch), params);
    const out = { loss: value.dataSync()[0], grads: Object.fromEntries(names.map((name) => [name, Float32Array.from(values(grads[name]))])) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
}

/**
 * A data-parallel worker: pulls micro-batches from the durable consumer all workers share (a
 * work queue: JetStream gives each message to one of them), computes the gradient against the
 * newest model version it has, and sends it to the updater (`gradientUpdater`).
 *
 *   g = ∂L(θ_v; batch)/∂θ,  L the batch's mean loss, θ_v the newest version v the worker holds
 *
 * 1. Connects, creates the durable pull consumer if missing (explicit ack, `ackWaitMs`,
 *    `maxAckPending`), and asks the updater for its current version (`<updater>.model`, retried
 *    until `requestTimeoutMs`). It follows `<updater>.versions` and the version in each reply,
 *    and computes against the newest it has seen (one decode per batch, not per broadcast).
 * 2. Fetches up to `prefetch` messages per pull request, the next fetch running while the
 *    previous one's batches of `batchSize` are trained (the last batch of a fetch may be smaller). A message that is not a labelled example of the model's width (`checkExample`;
 *    a class index for classifiers) is terminated and, unless `deadLetter` is false, republished
 *    to the dead-letter subject as `jetstream()` does (`encodeDeadLetter`: `{ reason, stream,
 *    subject, sequence, deliveries, payload }`, the payload cut at 256 KiB); counted in
 *    `rejected`. If the dead letter cannot be stored, the message is nak'ed and refused again
 *    1 s later (the worker carries on).
 * 3. For each batch: test-then-train predictions with θ_v (`model.scoreRows`: `correct`
 *    counts ŷ = y), the loss and gradient on arrays (the analytic pass of rxgrad's dense models,
 *    else tfjs's autodiff), then a request to `<updater>.grads` (`encodeGradient`); up to
 *    `inFlight` requests are unanswered at a time.
 * 4. **Ack point:** the batch's messages are acked only on the updater's answer — `applied`
 *    (the update is made) or `stale` (deliberately dropped, accounted) — and for `duplicate`
 *    the examples already accounted are acked and the gradient of the others recomputed and
 *    sent again. When the updater acks after its checkpoints (`ackAfter: 'checkpoint'`: the
 *    answer carries a ticket), the answered messages are held — kept alive with `working()`
 *    every half ack wait — until `<updater>.committed` says a durable checkpoint holds their
 *    ticket. A worker that dies before that leaves its messages unacked: JetStream delivers
 *    them again after the ack wait to another worker; if the updater had accounted for them,
 *    its ledger refuses the repeat (`duplicate`), so nothing is trained twice and nothing is
 *    lost. An updater that does not answer within `requestTimeoutMs` fails the worker.
 * 5. Emits a `WorkerReport` after each settled batch (and after a fetch of malformed messages
 *    only, so every rejection is reported); completes after `idleMs` without a
 *    message (with held messages: once they are acked, or `requestTimeoutMs` later). On
 *    unsubscribe, error or complete the connection is drained (unacked messages go back to the
 *    consumer after the ack wait).
 * 6. No tensor per batch for rxgrad's dense models: parameters change only when a new version
 *    arrives (one `assign` per parameter).
 * 7. Bad options are an `RxgradError` naming the field, when called.
 *
 * @example
 * gradientWorker({ servers: 'nats://127.0.0.1:4222', model: logisticRegression(6), batchSize: 16, idleMs: 2000 })
 *   .subscribe((r) => console.log(r.examples, r.version));
 */
export function gradientWorker(options: GradientWorkerOptions): Observable<WorkerReport> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { servers, model, batchSize, … }', options);
  const servers = natsServers('servers', options.servers);
  const { model } = options;
  if (model === null || typeof model !== 'object' || typeof model.scoreRows !== 'function' || typeof model.loss !== 'function') throw new RxgradError('model', 'a Model (with loss and scoreRows)', model);
  const batchSize = positiveInt('batchSize', options.batchSize);
  const { stream, subject, deadLetter } = streamNames({ stream: options.stream, subject: options.subject, deadLetter: options.deadLetter });
  const consumer = jetStreamName('consumer', options.consumer ?? 'rxgrad-workers');
  const subjects = updaterSubjects(options.updater);
  const name = options.name ?? `worker-${Math.random().toString(36).slice(2, 8)}`;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw new RxgradError('name', 'a string of 1–200 characters', name);
  const ackWaitMs = inRange('ackWaitMs', options.ackWaitMs ?? 30_000, { min: 0, minOpen: true });
  const maxAckPending = positiveInt('maxAckPending', options.maxAckPending ?? 1000);
  const prefetch = positiveInt('prefetch', options.prefetch ?? 4 * batchSize);
  if (maxAckPending < 2 * prefetch) throw new RxgradError('maxAckPending', `≥ 2 × prefetch = ${2 * prefetch} (the messages a worker holds: one fetch being trained, the next one arriving)`, maxAckPending);
  const idleMs = options.idleMs === undefined ? undefined : inRange('idleMs', options.idleMs, { min: 0, minOpen: true });
  const requestTimeoutMs = inRange('requestTimeoutMs', options.requestTimeoutMs ?? 10_000, { min: 0, minOpen: true });
  const delayMs = inRange('delayMs', options.delayMs ?? 0, { min: 0 });
  const inFlight = positiveInt('inFlight', options.inFlight ?? 1);
  const params = model.params;
  const names = Object.keys(params);
  const sizes: ArraySizes = Object.fromEntries(names.map((n) => [n, params[n].size]));
  const d = model.features;
  const k = model.outputs;
  const classes = model.task === 'regression' ? undefined : model.task === 'binary' ? 2 : k;
  const gradient = gradientOf(model);

  return new Observable<WorkerReport>((subscriber) => {
    let nc: NatsConnection | undefined;
    let stopped = false;
    subscriber.add(() => {
      stopped = true;
      flushAcks();
      nc?.drain().catch(() => undefined);
    });
    const counts = { worker: name, gradients: 0, examples: 0, applied: 0, stale: 0, duplicates: 0, rejected: 0, held: 0, version: -1, staleness: 0 };
    // Answered messages waiting for a durable checkpoint of the updater (`ackAfter: 'checkpoint'`), by ticket.
    const held: { readonly ticket: number; readonly msgs: JsMsg[] }[] = [];
    let committed = 0;
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    subscriber.add(() => clearInterval(keepAlive));
    // Acks wait for the next gradient request (or the next turn of the event loop) and leave in
    // the same socket write: one write per batch fewer, a system call that costs more here than
    // the batch's arithmetic.
    let toAck: JsMsg[] = [];
    let ackTurn: ReturnType<typeof setImmediate> | undefined;
    const flushAcks = () => {
      clearImmediate(ackTurn);
      ackTurn = undefined;
      const msgs = toAck;
      toAck = [];
      try {
        for (const m of msgs) m.ack();
      } catch {
        // The connection is closed: these come back after the ack wait and are refused as duplicates.
      }
    };
    const ackAll = (msgs: readonly JsMsg[]) => {
      toAck.push(...msgs);
      ackTurn ??= setImmediate(flushAcks);
      counts.examples += msgs.length;
    };
    const release = () => {
      while (held.length > 0 && held[0].ticket <= committed) {
        const h = held.shift()!;
        ackAll(h.msgs);
        counts.held -= h.msgs.length;
      }
    };
    const settleMessages = (msgs: JsMsg[], ticket: number | undefined) => {
      if (ticket === undefined || ticket <= committed) return ackAll(msgs);
      held.push({ ticket, msgs });
      counts.held += msgs.length;
    };
    let broadcast: Uint8Array | undefined;

    const adopt = (m: ModelMessage) => {
      if (m.version <= counts.version) return;
      for (const n of names) {
        const t = fromValues(m.params[n], params[n].shape);
        params[n].assign(t);
        t.dispose();
      }
      counts.version = m.version;
    };

    const firstModel = async (conn: NatsConnection) => {
      const until = performance.now() + requestTimeoutMs;
      for (;;) {
        try {
          return decodeModel((await conn.request(subjects.model, new Uint8Array(0), { timeout: Math.min(1000, requestTimeoutMs) })).data, sizes);
        } catch (err) {
          if (err instanceof RxgradError) throw err;
          if (stopped || performance.now() >= until) throw new RxgradError('updater', `a gradientUpdater answering on ${subjects.model}`, shown(`no answer within ${requestTimeoutMs} ms`), (err as Error).message);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };

    const parse = (m: JsMsg): Received | string => {
      try {
        const e = checkExample(decodeExampleMessage(m.data), d, classes);
        if (e.y == null) return 'Expected `y` a label (a worker trains on labelled examples only), got none';
        return { msg: m, x: e.x, y: e.y };
      } catch (err) {
        return (err as Error).message;
      }
    };

    const run = async () => {
      const { jetstream } = await loadNats();
      const conn = await natsConnect(servers, `rxgrad-${name}`);
      nc = conn;
      if (stopped) return;
      const jsm = await jetstream.jetstreamManager(conn);
      const js = jsm.jetstream();
      // Created if missing; an existing one (another worker's) is taken as it is.
      const info = await ensureConsumer(jsm, stream, { durable: consumer, subject, ackWaitMs, maxAckPending }, false);
      const c = await js.consumers.get(stream, consumer);
      const ackWait = (info.config.ack_wait ?? ackWaitMs * 1e6) / 1e6;
      adopt(await firstModel(conn));
      conn.subscribe(subjects.versions, { callback: (_err, m) => void (broadcast = m.data) });
      conn.subscribe(subjects.committed, {
        callback: (_err, m) => {
          const ticket = (m.json() as { ticket?: unknown }).ticket;
          if (typeof ticket === 'number' && ticket > committed) committed = ticket;
          release();
        },
      });
      // Held messages are kept from being delivered again (as `jetstream()` does).
      keepAlive = setInterval(() => {
        for (const h of held) for (const m of h.msgs) m.working();
      }, ackWait / 2);

      const fetchBatch = async (): Promise<JsMsg[]> => {
        const out: JsMsg[] = [];
        for await (const m of await c.fetch({ max_messages: prefetch, expires: FETCH_EXPIRES_MS })) out.push(m);
        return out;
      };
      const newest = () => {
        if (broadcast === undefined) return;
        const bytes = broadcast;
        broadcast = undefined;
        adopt(decodeModel(bytes, sizes));
      };

      const settle = async (batch: Received[]) => {
        let rows = batch;
        while (rows.length > 0) {
          if (stopped) return;
          newest();
          const n = rows.length;
          const x = new Float32Array(n * d);
          const y = new Float32Array(n);
          rows.forEach((r, i) => {
            x.set(r.x, i * d);
            y[i] = r.y;
          });
          const sequences = rows.map((r) => r.msg.seq);
          const examples: ExampleBatch = { n, d, x, y, ids: sequences, times: new Float64Array(n).fill(Date.now()) };
          const scores = new Float32Array(n * k);
          model.scoreRows(params, examples, scores);
          let correct = 0;
          if (classes !== undefined) for (let i = 0; i < n; i++) if (yHatOf(model.task, scores, i * k, k) === y[i]) correct++;
          const { loss, grads } = gradient(examples);
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          if (stopped) return;
          const request = encodeGradient({ version: counts.version, grads, loss, n, correct, sequences, worker: name });
          counts.gradients++;
          flushAcks();
          const answer = await conn.request(subjects.grads, request, { timeout: requestTimeoutMs }).catch((err: Error) => {
            throw new RxgradError('updater', `a gradientUpdater answering on ${subjects.grads}`, shown(`no answer within ${requestTimeoutMs} ms`), err.message);
          });
          const reply = decodeReply(answer.data, sizes);
          adopt(reply.model);
          counts.staleness = reply.staleness;
          if (reply.status === 'duplicate') {
            counts.duplicates++;
            const repeated = new Set(reply.duplicates);
            settleMessages(rows.filter((r) => repeated.has(r.msg.seq)).map((r) => r.msg), reply.commit);
            rows = rows.filter((r) => !repeated.has(r.msg.seq));
            continue;
          }
          if (reply.status === 'applied') counts.applied++;
          else counts.stale++;
          settleMessages(rows.map((r) => r.msg), reply.commit);
          rows = [];
        }
        subscriber.next({ ...counts });
      };

      // As `jetstream()` does: the dead letter is stored (deduplicated by sequence) before the
      // message is terminated; a failed publish nak()s it, to be refused again after a delay.
      const reject = async (m: JsMsg, reason: string) => {
        if (deadLetter !== false) {
          const letter = encodeDeadLetter({ reason, stream, subject: m.subject, sequence: m.seq, deliveries: m.info.deliveryCount, data: m.data });
          const stored = await js.publish(deadLetter, letter.body, { msgID: letter.msgID }).then(
            () => true,
            () => false,
          );
          if (!stored) return m.nak(DEAD_LETTER_RETRY_MS);
        }
        m.term();
        counts.rejected++;
      };

      // Batches whose gradient awaits its answer (at most `inFlight`), and the first failure among them.
      const sending = new Set<Promise<void>>();
      let failure: { readonly err: unknown } | undefined;
      const check = () => {
        if (failure) throw failure.err;
      };
      let lastMessage = performance.now();
      let pending = fetchBatch();
      while (!stopped) {
        const msgs = await pending;
        check();
        if (stopped) {
          for (const m of msgs) m.nak();
          return;
        }
        if (msgs.length === 0) {
          await Promise.all(sending);
          check();
          if (idleMs !== undefined && performance.now() - lastMessage >= idleMs) {
            // Wait (a while) for the checkpoint of the messages still held, so they need not come back.
            const until = performance.now() + requestTimeoutMs;
            while (held.length > 0 && !stopped && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
            return;
          }
          pending = fetchBatch();
          continue;
        }
        lastMessage = performance.now();
        pending = fetchBatch();
        const examples: Received[] = [];
        for (const m of msgs) {
          const r = parse(m);
          if (typeof r === 'string') await reject(m, r);
          else examples.push(r);
        }
        // A fetch of malformed messages only settles no batch: its rejections are reported now.
        if (examples.length === 0) subscriber.next({ ...counts });
        for (let i = 0; i < examples.length && !stopped; i += batchSize) {
          while (sending.size >= inFlight) await Promise.race(sending);
          check();
          const p: Promise<void> = settle(examples.slice(i, i + batchSize)).then(
            () => void sending.delete(p),
            (err) => {
              sending.delete(p);
              failure ??= { err };
            },
          );
          sending.add(p);
        }
        check();
      }
    };

    run().then(
      () => subscriber.complete(),
      (err) => subscriber.error(err),
    );
  });
}
