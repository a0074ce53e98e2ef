import type { Consumer, ConsumerMessages, FetchMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { map, Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { encodeDeadLetter } from '../../src/online/deadLetter';
import { decodeExampleMessage } from '../../src/online/exampleMessage';
import { SequenceGate } from '../../src/online/SequenceGate';
import { SequenceLedger } from '../../src/online/SequenceLedger';
import { RxgradError, shown } from '../../src/RxgradError';
import { bool, inRange, positiveInt } from '../../src/validate';
import type { RunScope } from '../RunScope';
import { advance, type IngestCounters, type Step } from '../Step';
import type { DriveOptions } from '../sources/drive';
import { pushSource, type PushSink } from '../sources/pushSource';
import { ensureConsumer } from './ensureConsumer';
import { loadNats, type NatsModules } from './loadNats';
import { natsConnect, natsServers, type NatsServers } from './natsConnect';
import { ensureStreamWith, jetStreamName, streamNames } from './publishExamples';

/** The checkpoint key under which `jetstream` saves the sequences in the model. */
export const JETSTREAM_KEY = 'jetstream';

/** What `jetstream` saves in a checkpoint under `JETSTREAM_KEY`. */
export interface JetStreamPosition {
  /** The stream sequences whose effect is in the model (trained or dead-lettered), as ranges `[first, last]`. */
  readonly ranges: readonly (readonly [number, number])[];
}

/** Options of `jetstream`. */
export interface JetStreamOptions extends DriveOptions {
  /** NATS server URL(s). */
  readonly servers: NatsServers;
  /** Stream name (default `rxgrad`; created if missing). */
  readonly stream?: string;
  /** The examples' subject (default `rxgrad.examples`). */
  readonly subject?: string;
  /** The durable consumer's name: a restarted trainer with the same name continues where it stopped. */
  readonly durable: string;
  /** Features per example: a message with another width is malformed (dead-lettered). */
  readonly features: number;
  /** A classifier's classes: a label outside [0, classes) is malformed. */
  readonly classes?: number;
  /** Examples per step (default 32). */
  readonly batchSize?: number;
  /** A partial batch is trained once its oldest example waited this long (default: only full batches). */
  readonly maxWaitMs?: number;
  /** The consumer's ack wait: an unacked message is redelivered after it (default 30,000 ms). */
  readonly ackWaitMs?: number;
  /**
   * Messages delivered and not yet acked, at most (default 1,000): the backpressure bound, and
   * the trainer's memory bound. Acks come after a durable checkpoint, so it must exceed the
   * examples trained between two checkpoints plus a batch: a trainer that cannot take one more message nor train a batch for `ackWaitMs` errors, naming this option.
   */
  readonly maxAckPending?: number;
  /** The dead-letter subject (default `rxgrad.dead`); `false`: malformed messages are only terminated and counted. */
  readonly deadLetter?: string | false;
  /** Delay before a nak'ed message (a transient failure) is redelivered (default 1,000 ms). */
  readonly nakDelayMs?: number;
  /** Train in stream-sequence order (default true; see `jetstream`). Several trainers on one consumer: false. */
  readonly ordered?: boolean;
  /** Training gives the event loop a turn after this many ms of steps (default 5). */
  readonly yieldEveryMs?: number;
  /**
   * How long the setup (connection, stream, consumer) is retried, with backoff, when it fails
   * for a reason that passes (no server yet, a timeout, JetStream not ready, a cluster electing a
   * leader) — default 10,000 ms; 0: one attempt. Then the stream errors naming `servers`.
   */
  readonly setupTimeoutMs?: number;
}

/** The counters `jetstream` adds to a step's `online.ingest` (since the subscription). */
type DurableCounters = Required<Pick<IngestCounters, 'acked' | 'redelivered' | 'duplicates' | 'deadLettered' | 'ackPending'>> & Pick<IngestCounters, 'consumerPending'>;

/** One stream sequence held by this trainer: its deliveries (a redelivery adds one) and when it was last kept alive. */
interface Held {
  readonly seq: number;
  readonly msgs: JsMsg[];
  touched: number;
  /** Its dead letter is being published. */
  deadLettering?: boolean;
}

/**
 * How long one pull request lives on the server (the client's minimum). A stopped trainer waits
 * for its last one to end before it hands its messages back, so this bounds that wait.
 */
const PULL_EXPIRES_MS = 1000;
/** A pull request that neither filled nor expired in this time (a server gone, heartbeats paused while disconnected) is given up on. */
const PULL_END_MS = 2 * PULL_EXPIRES_MS + 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** The setup's pause after its k-th failure (from 0): 100 ms doubling, at most 2 s. */
const setupBackoffMs = (k: number) => Math.min(2000, 100 * 2 ** k);

/**
 * Whether a setup failure may pass by itself: no server listening (yet), a request timed out
 * (a server gone, a cluster electing a leader), no responders (JetStream not ready), JetStream
 * temporarily unavailable (503). Never an `RxgradError` (bad options, a stream without the
 * subject) nor any other API error (a refused configuration).
 */
function isTransient(err: unknown): boolean {
  const e = err as { name?: unknown; status?: unknown; code?: unknown; cause?: unknown } | null;
  switch (e?.name) {
    case 'ConnectionError':
    case 'TimeoutError':
    case 'NoResponders':
      return true;
    case 'RequestError': // a timeout or no responders, as its cause
      return isTransient(e.cause);
    case 'JetStreamNotEnabled': // no responders for the API; not "not enabled for the account" (an API error)
      return (e.cause as { name?: unknown } | undefined)?.name !== 'JetStreamApiError';
    case 'JetStreamApiError':
      return e.status === 503 || e.code === 10008;
    default:
      return false;
  }
}
/** Whether `p` settles within `ms` (no timer left behind either way). */
const settlesWithin = (p: Promise<unknown>, ms: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    p.then(done, done);
  });

/**
 * A durable source: examples from a NATS JetStream stream (one per message, as
 * `publishExamples` sends them) through a durable pull consumer, with an exactly-once effect on
 * the model across crashes of the trainer and of the server.
 *
 * 1. **Consumer.** The stream (`ensureStream`) and the durable consumer `durable` are created if
 *    missing (explicit acks, `ackWaitMs`, `maxAckPending` as the bound on messages in flight:
 *    the trainer's memory and the producer-to-trainer backpressure). The connection reconnects
 *    forever (a server restart is survived). Bad options throw an `RxgradError` at call time.
 *    The setup (connection, stream, consumer) is retried, pausing 100 ms doubling up to 2 s, for
 *    `setupTimeoutMs` (default 10 s) when it fails for a reason that passes — no server listening
 *    yet, a request timed out (a cluster electing a leader), JetStream not ready (no responders,
 *    503); never for an `RxgradError` (a stream without the subject) or another API error. Then
 *    the stream errors naming `servers` and the attempts. It errors too when the trainer could
 *    take no more messages and train no batch for `ackWaitMs` (`maxAckPending` not above the
 *    examples trained between two checkpoints plus a batch, or no `checkpoint` at all).
 * 2. **Examples.** Each message is parsed (`decodeExampleMessage`) and checked (`features`,
 *    `classes`) by the bounded queue of `pushSource` (capacity `maxAckPending`, never dropping),
 *    and trained in micro-batches of `batchSize` (`maxWaitMs`: partial ones). With `ordered`
 *    (the default) examples are trained in stream-sequence order — a crashed trainer's unacked
 *    messages, redelivered after `ackWaitMs`, are waited for (at most 2 × `ackWaitMs`) before
 *    the newer ones — so a resumed run trains the very batches an uninterrupted one does.
 *    Several trainers sharing one consumer each get a subset of the sequences: `ordered: false`.
 * 3. **Ack after checkpoint.** A message is acked only once a checkpoint holding its update is
 *    durable (`checkpoint` → `RunScope.committed`), all of a checkpoint's messages at once, then
 *    the connection is flushed. Messages held longer than a third of `ackWaitMs` (queued, training,
 *    waiting for a checkpoint) are kept alive (`working()`) so they are not redelivered.
 * 4. **Exactly-once effect.** The checkpoint holds the stream sequences in the model (under
 *    `jetstream`, as ranges; the source position's `position` is the last sequence trained). A
 *    message whose sequence is already there — redelivered after a crash, or an acked message
 *    a restarted server delivers again — is not trained again: it is acked and counted in
 *    `duplicates`. Resume with `resume: resume(dir, params).checkpoint`.
 * 5. **Malformed messages** (not JSON, not an example, wrong width, a label that is not a class)
 *    are counted as rejected with the reason, republished to `deadLetter` as JSON
 *    `{ reason, stream, subject, sequence, deliveries, payload }` (the payload as text, or
 *    `base64:…` when not UTF-8; past 256 KiB cut, with `payloadBytes` the full size; message id
 *    `<stream>-<sequence>`: once), then terminated (`term()`, also when the run stopped
 *    meanwhile); the run continues. If that publish fails, the message is nak'ed (redelivered
 *    after `nakDelayMs`).
 * 6. **Counters** on every step's `online.ingest`, besides received/trained/rejected/lastReason:
 *    `acked`, `redelivered` (deliveries with a count > 1), `duplicates` (already in the model,
 *    skipped), `deadLettered`, `ackPending` (held by this trainer, unacked) and
 *    `consumerPending` (the consumer's backlog in the stream, refreshed once a second) — the
 *    durable counters since this subscription.
 * 7. **End.** The stream does not complete by itself: stop it with `take`, `takeWhile` (put it
 *    before `checkpoint`, so the final write happens and its messages are acked) or an
 *    unsubscribe. Then no new pull request is made and the last one is let end (its batch
 *    delivered, or expired: at most 1 s), so every message the server sent is held — also those
 *    it sent after the stop, into the room the final checkpoint's acks made. Then the messages
 *    still unacked (queued, trained but not in a durable checkpoint, delivered after the stop)
 *    are nak'ed — no pull request of this trainer is left to take them back — and the connection
 *    is drained: keep the process alive until then (about a second; no `process.exit()` at
 *    once). They are redelivered at once to the next trainer (which skips those its checkpoint
 *    holds). Only a connection broken at the stop (or a pull request not ended within 3 s)
 *    leaves messages to be redelivered after `ackWaitMs`, as a killed trainer's are.
 *    Correctness never depends on the nak, only the delay does.
 *
 * @example
 * const model = logisticRegression(8);
 * const r = resume('ckpt', model.params);
 * jetstream({ servers: 'nats://127.0.0.1:4222', durable: 'trainer', features: 8, classes: 2, batchSize: 16, resume: r.checkpoint })
 *   .pipe(
 *     progressiveValidation(model, { metrics: [accuracy()] }),
 *     gradients(model.loss, model.params), optimize(adam({ lr: 0.01 })), applyUpdates(model.params),
 *     checkpoint({ dir: 'ckpt', params: model.params, everySteps: 20 }),
 *   )
 *   .subscribe((s) => console.log(s.step, s.online?.ingest)); // … { received, trained, acked, duplicates, consumerPending, … }
 */
export function jetstream(options: JetStreamOptions): Observable<Step<ExampleBatch>> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { servers, durable, features, … }', options);
  const servers = natsServers('servers', options.servers);
  const names = streamNames(options);
  const durable = jetStreamName('durable', options.durable);
  const features = positiveInt('features', options.features);
  const batchSize = positiveInt('batchSize', options.batchSize ?? 32);
  const ackWaitMs = inRange('ackWaitMs', options.ackWaitMs ?? 30_000, { min: 100 });
  const maxAckPending = positiveInt('maxAckPending', options.maxAckPending ?? 1000);
  if (maxAckPending < batchSize) throw new RxgradError('maxAckPending', `at least batchSize (${batchSize}): a batch must fit in flight`, maxAckPending);
  const nakDelayMs = inRange('nakDelayMs', options.nakDelayMs ?? 1000, { min: 0 });
  const ordered = bool('ordered', options.ordered ?? true);
  const setupTimeoutMs = inRange('setupTimeoutMs', options.setupTimeoutMs ?? 10_000, { min: 0 });

  const durableConsumer = (sink: PushSink, scope: RunScope) => {
    const ledger = SequenceLedger.from((scope.restored(JETSTREAM_KEY) as Partial<JetStreamPosition> | undefined)?.ranges, `resume.state.${JETSTREAM_KEY}.ranges`);
    const held = new Map<number, Held>();
    const queued: Held[] = [];
    const trained: Held[] = [];
    const counts = { acked: 0, redelivered: 0, duplicates: 0, deadLettered: 0 };
    let consumerPending: number | undefined;
    let gate: SequenceGate<Held> | undefined;
    let nc: NatsConnection | undefined;
    let js: JetStreamClient | undefined;
    let consumer: Consumer | undefined;
    /** The pull request in progress, and the loop issuing them (ended once `stopped` and its last request ended). */
    let pulling: ConsumerMessages | undefined;
    let pulls: Promise<void> | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let stopped = false;
    /** Dead-letter publishes in flight: the connection is drained once they settled. */
    const deadLettering = new Set<Promise<void>>();
    let flushing = false;
    let infoPending = false;
    let lastInfo = -Infinity;
    let lastProgress = performance.now();

    const flush = () => {
      if (flushing || !nc || nc.isClosed()) return;
      flushing = true;
      nc.flush().then(
        () => (flushing = false),
        () => (flushing = false),
      );
    };
    const settle = (h: Held, how: (m: JsMsg) => void) => {
      held.delete(h.seq);
      for (const m of h.msgs) how(m);
    };
    const deadLetter = (h: Held, reason: string) => {
      const m = h.msgs[0];
      const done = () => {
        settle(h, (d) => d.term());
        ledger.add(h.seq);
        counts.deadLettered++;
        flush();
      };
      if (names.deadLetter === false || !js) return done();
      const letter = encodeDeadLetter({ reason, stream: names.stream, subject: m.subject, sequence: h.seq, deliveries: m.info.deliveryCount, data: m.data });
      h.deadLettering = true;
      // Never rejects: a term or nak on a connection closed meanwhile is left to ackWait.
      const p: Promise<void> = js
        .publish(names.deadLetter, letter.body, { msgID: letter.msgID })
        .then(done, () => settle(h, (d) => d.nak(nakDelayMs)))
        .catch(() => undefined)
        .finally(() => deadLettering.delete(p));
      deadLettering.add(p);
    };
    // A message's turn has come (in sequence order with `ordered`): parse, queue or dead-letter it.
    const release = (h: Held) => {
      let raw: unknown;
      try {
        raw = decodeExampleMessage(h.msgs[0].data);
      } catch (err) {
        sink.reject((err as Error).message);
        return deadLetter(h, (err as Error).message);
      }
      const outcome = sink.offer(raw, h.seq);
      if (outcome === 'queued') queued.push(h);
      else if (outcome === 'rejected') deadLetter(h, sink.lastReason as string);
      else if (outcome === 'dropped') settle(h, (m) => m.nak(nakDelayMs));
    };
    const onMessage = (m: JsMsg) => {
      const seq = m.seq;
      if (m.redelivered) counts.redelivered++;
      const h = held.get(seq);
      if (h) {
        // Delivered again while this trainer still holds it: acked or nak'ed with the others.
        h.msgs.push(m);
        counts.duplicates++;
        return;
      }
      if (ledger.has(seq)) {
        // Already in the model, and durable (its checkpoint was written): ack it again.
        m.ack();
        counts.duplicates++;
        counts.acked++;
        flush();
        return;
      }
      const fresh: Held = { seq, msgs: [m], touched: performance.now() };
      held.set(seq, fresh);
      // Delivered by the last pull request after the stop: handed back (nak) with the others.
      if (stopped) return;
      const released = gate ? gate.offer(seq, fresh, fresh.touched) : [fresh];
      for (const r of released) release(r);
    };
    // Every 250 ms: keep long-held messages alive, give up on gaps; once a second at most: the consumer's backlog.
    const tick = () => {
      const now = performance.now();
      // Stalled: no room for one more message, no full batch to train, nothing checkpointed for ackWaitMs.
      if (trained.length + queued.length < maxAckPending || queued.length >= batchSize) lastProgress = now;
      else if (now - lastProgress > ackWaitMs) {
        return sink.error(
          new RxgradError('maxAckPending', `more than the examples trained between two checkpoints plus a batch (acks come after a durable checkpoint)`, maxAckPending, `${trained.length} trained examples wait for a checkpoint, ${queued.length} queued < batchSize ${batchSize}: raise maxAckPending, checkpoint more often, or put a \`checkpoint\` after applyUpdates: acks come from it`),
        );
      }
      for (const h of held.values()) {
        if (now - h.touched >= ackWaitMs / 3) {
          h.msgs[h.msgs.length - 1].working();
          h.touched = now;
        }
      }
      if (gate) for (const r of gate.expire(now, 2 * ackWaitMs)) release(r);
      if (consumer && !infoPending && now - lastInfo >= 1000) {
        infoPending = true;
        lastInfo = now;
        consumer.info().then(
          (ci) => {
            infoPending = false;
            consumerPending = ci.num_pending;
          },
          () => (infoPending = false),
        );
      }
    };

    // Pull requests one after the other, each living until its batch is delivered or it expires
    // (PULL_EXPIRES_MS). Unlike consume(), whose stop() drops at once what its open request still
    // delivers, the last request is let end: a stopped trainer holds all it was sent.
    const pull = async (c: Consumer) => {
      while (!stopped) {
        // A callback, as consume() takes (the client's fetch() honours it too): no promise per message.
        const options = { max_messages: Math.min(maxAckPending, 1000), expires: PULL_EXPIRES_MS, callback: onMessage } as FetchMessages;
        const failed = await c.fetch(options).then(
          (p) => (pulling = p).closed(),
          (err: unknown) => err,
        );
        // A pull that failed (heartbeats missed while the server was away): pull again after a pause.
        if (failed && !stopped) await sleep(100);
      }
    };

    scope.register(JETSTREAM_KEY, {
      save: (): JetStreamPosition => ({ ranges: ledger.ranges() }),
      // The checkpoint holding `saved` is durable: ack the trained messages it holds, in order.
      committed: (saved) => {
        // After the end (an async store confirming late) the messages were nak'ed: the next trainer acks them from its ledger.
        if (stopped) return;
        const done = SequenceLedger.from((saved as JetStreamPosition).ranges, JETSTREAM_KEY);
        let n = 0;
        while (n < trained.length && done.has(trained[n].seq)) n++;
        for (const h of trained.splice(0, n)) {
          settle(h, (m) => m.ack());
          counts.acked++;
        }
        if (n > 0) flush();
      },
    });
    const control = {
      counters: (): DurableCounters => ({ ...counts, ackPending: held.size, ...(consumerPending !== undefined && { consumerPending }) }),
      taken: (n: number) => {
        for (const h of queued.splice(0, n)) {
          ledger.add(h.seq);
          trained.push(h);
        }
      },
    };

    /** One attempt at the setup: the stream, the consumer (created, or updated to these options), the gate's start, the consumer handle. */
    const setUp = async (nats: NatsModules, conn: NatsConnection, timeoutMs: number) => {
      const jsm = await nats.jetstream.jetstreamManager(conn, { timeout: timeoutMs });
      await ensureStreamWith(jsm, names);
      const info = await ensureConsumer(jsm, names.stream, { durable, subject: names.subject, ackWaitMs, maxAckPending }, true);
      const start = ordered ? Math.max((await jsm.streams.info(names.stream)).state.first_seq, info.ack_floor.stream_seq + 1, 1) : 0;
      return { start, consumer: await jsm.jetstream().consumers.get(names.stream, durable) };
    };

    /** Setup attempts that failed for a reason that passes (the error names them once the time is up). */
    let failures = 0;
    (async () => {
      const nats = await loadNats();
      const t0 = performance.now();
      for (;;) {
        try {
          nc ??= await natsConnect(servers, `rxgrad-trainer-${durable}`);
          if (stopped) return void nc.close();
          // API requests wait at most what is left of the setup time (1–5 s).
          const ready = await setUp(nats, nc, Math.min(5000, Math.max(1000, setupTimeoutMs - (performance.now() - t0))));
          if (stopped) return;
          js = nats.jetstream.jetstream(nc);
          if (ordered) gate = new SequenceGate<Held>(ready.start, (seq) => ledger.contiguousTo(seq));
          consumer = ready.consumer;
          break;
        } catch (err) {
          if (stopped) return;
          failures++;
          const left = setupTimeoutMs - (performance.now() - t0);
          if (!isTransient(err) || left <= 0) throw err;
          await sleep(Math.min(setupBackoffMs(failures - 1), left));
          if (stopped) return; // a connection made meanwhile was drained by the stop
        }
      }
      pulls = pull(consumer);
      timer = setInterval(tick, Math.min(250, ackWaitMs / 4));
      tick();
    })().catch((err) => {
      if (stopped) return;
      // An RxgradError (an existing stream without the subject) already names its field.
      const tried = isTransient(err) ? `after ${failures} failed attempt${failures === 1 ? '' : 's'} (setupTimeoutMs ${setupTimeoutMs})` : undefined;
      sink.error(err instanceof RxgradError ? err : new RxgradError('servers', `a reachable NATS JetStream server with stream ${names.stream} (${servers.join(', ')})`, shown(`a failure: ${(err as Error).message}`), tried));
    });

    const producer = {
      stop: () => {
        stopped = true;
        if (timer) clearInterval(timer);
        gate?.clear();
        const conn = nc;
        if (!conn) return;
        void (async () => {
          // The last pull request ends first (delivered or expired), so every message the server
          // sent is held, and no request of this trainer is left for the naks to be handed to.
          if (pulls && !(await settlesWithin(pulls, PULL_END_MS))) pulling?.stop();
          try {
            for (const h of [...held.values()]) if (!h.deadLettering) settle(h, (m) => m.nak());
          } finally {
            await Promise.allSettled(deadLettering);
            await conn.drain().catch(() => undefined);
          }
        })().catch(() => undefined); // a connection closed meanwhile: the rest comes back after ackWait
      },
    };
    return { control, producer };
  };

  return new Observable<Step<ExampleBatch>>((subscriber) => {
    // This subscription's consumer (set when pushSource starts it): what the steps report.
    let control: ReturnType<typeof durableConsumer>['control'] | undefined;
    const steps = pushSource(
      (sink, _restored, scope) => {
        const c = durableConsumer(sink, scope);
        control = c.control;
        return c.producer;
      },
      {
        batchSize,
        maxWaitMs: options.maxWaitMs,
        features,
        classes: options.classes,
        queue: { capacity: maxAckPending, policy: 'block' },
        yieldEveryMs: options.yieldEveryMs,
        paused: options.paused,
        resume: options.resume,
      },
    );
    return steps
      .pipe(
        map((step) => {
          const c = control as NonNullable<typeof control>;
          c.taken(step.size);
          return advance(step, { online: { ...step.online, ingest: { ...(step.online?.ingest as IngestCounters), ...c.counters() } } });
        }),
      )
      .subscribe(subscriber);
  });
}
