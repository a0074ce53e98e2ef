import { Observable, Subject } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { isClass } from '../../src/online/checkExample';
import { parseIngestMessage, type LabelsMessage } from '../../src/online/parseIngestMessage';
import { RxgradError, shown } from '../../src/RxgradError';
import { positiveInt } from '../../src/validate';
import type { MetricsServer } from '../sinks/MetricsServer';
import type { Step } from '../Step';
import { pushSource, type PushOptions, type PushSink } from './pushSource';

/** A label sent after its example, joined by `id` (what `progressiveValidation`'s `labels` takes). */
export type IngestLabel = LabelsMessage['labels'][number];

/** Options of `ingest`. */
export interface IngestOptions extends PushOptions {
  /**
   * With policy `block`: messages whose examples wait for room in the queue, at most (default
   * 16). Their acks are withheld until their examples are queued; one more is rejected.
   */
  readonly maxWaitingMessages?: number;
}

/** A run fed over the metrics server's WebSocket. */
export interface IngestSource {
  /** The run's steps (subscribe once at a time): examples sent by producers, through the bounded queue. */
  readonly steps: Observable<Step<ExampleBatch>>;
  /** Labels sent by producers for examples sent earlier without one (pass to `progressiveValidation`). */
  readonly labels: Observable<IngestLabel>;
}

/** A message's examples being queued: the next one to offer and what became of the others. */
interface Delivery {
  readonly examples: readonly unknown[];
  next: number;
  readonly tally: Tally;
}

/** A message whose examples wait for room (policy `block`), with its deferred answer. */
interface Waiting extends Delivery {
  readonly resolve: (detail: string) => void;
  readonly reject: (err: Error) => void;
}

interface Tally {
  queued: number;
  dropped: number;
  rejected: number;
  reason?: string;
}

interface Endpoint {
  sink?: PushSink;
  readonly waiting: Waiting[];
  readonly maxWaiting: number;
  readonly labels: Subject<IngestLabel>;
  /** `options.classes`: labels must be class indices. */
  readonly classes: number | undefined;
}

const routers = new WeakMap<MetricsServer, Map<string, Endpoint>>();

function detail(n: number, t: Tally): string {
  const rejected = t.rejected > 0 ? `, ${t.rejected} rejected (last: ${t.reason})` : '';
  const dropped = t.dropped > 0 ? `, ${t.dropped} dropped by the queue's policy` : '';
  return `${n} received: ${t.queued} queued${dropped}${rejected}`;
}

/** Offer a waiting message's examples until the queue blocks; true when all are offered. */
function offerFrom(sink: PushSink, w: Delivery): boolean {
  while (w.next < w.examples.length) {
    if (sink.blocked) return false;
    const outcome = sink.offer(w.examples[w.next++]);
    if (outcome === 'queued') w.tally.queued += 1;
    else if (outcome === 'dropped') w.tally.dropped += 1;
    else if (outcome === 'rejected') {
      w.tally.rejected += 1;
      w.tally.reason = sink.lastReason;
    }
  }
  return true;
}

/** Offer the waiting messages in order; answer each one fully queued. */
function flushWaiting(ep: Endpoint): void {
  const sink = ep.sink;
  while (sink && ep.waiting.length > 0) {
    const w = ep.waiting[0];
    if (!offerFrom(sink, w)) return;
    ep.waiting.shift();
    w.resolve(detail(w.examples.length, w.tally));
  }
}

/**
 * Parse a message; one refused by the schema that names a run which is training counts as one
 * rejected input of that run, with the reason (nothing skipped silently), then the refusal is
 * answered as usual.
 */
function parse(router: Map<string, Endpoint>, message: unknown): ReturnType<typeof parseIngestMessage> {
  try {
    return parseIngestMessage(message);
  } catch (err) {
    const run = message !== null && typeof message === 'object' && Object.hasOwn(message, 'run') ? (message as { run: unknown }).run : undefined;
    if (typeof run === 'string') router.get(run)?.sink?.reject((err as Error).message);
    throw err;
  }
}

function endpoint(router: Map<string, Endpoint>, run: string): Endpoint {
  const ep = router.get(run);
  if (!ep) throw new RxgradError('run', `a run taking examples on this server (${[...router.keys()].slice(0, 5).join(', ')})`, run);
  return ep;
}

function routerOf(server: MetricsServer): Map<string, Endpoint> {
  let router = routers.get(server);
  if (router) return router;
  const r = (router = new Map<string, Endpoint>());
  routers.set(server, r);
  // Not counted against the control rate: the queue and the acks bound what a producer can send.
  server.handle(
    'examples',
    (message) => {
      const m = parse(r, message);
      if (m.type !== 'examples') throw new RxgradError('type', 'examples', m.type);
      const ep = endpoint(r, m.run);
      const sink = ep.sink;
      if (!sink) throw new RxgradError('run', 'a run that is training (its steps are subscribed)', shown(`run ${JSON.stringify(m.run)}, not started or stopped`));
      const d: Delivery = { examples: m.examples, next: 0, tally: { queued: 0, dropped: 0, rejected: 0 } };
      if (ep.waiting.length === 0) {
        if (offerFrom(sink, d)) return detail(m.examples.length, d.tally);
      } else if (ep.waiting.length >= ep.maxWaiting) {
        // Nothing of this message was queued: the producer may send it again.

        throw new RxgradError('examples', `room in the queue (policy block; ${ep.maxWaiting} messages already wait: wait for their acks)`, shown('a full queue'));
      }
      return new Promise<string>((resolve, reject) => ep.waiting.push({ ...d, resolve, reject }));
    },
    { limited: false },
  );
  server.handle(
    'labels',
    (message) => {
      const m = parse(r, message);
      if (m.type !== 'labels') throw new RxgradError('type', 'labels', m.type);
      const ep = endpoint(r, m.run);
      const bad = ep.classes === undefined ? -1 : m.labels.findIndex((l) => !isClass(l.y, ep.classes as number));
      if (bad >= 0) {
        const err = new RxgradError(`labels[${bad}].y`, `a class index in [0, ${ep.classes})`, m.labels[bad].y);
        ep.sink?.reject(err.message);
        throw err;
      }
      for (const l of m.labels) ep.labels.next({ id: l.id, y: l.y });
      return `${m.labels.length} label${m.labels.length === 1 ? '' : 's'} received`;
    },
    { limited: false },
  );
  return r;
}

/**
 * An ingest endpoint on a `MetricsServer`: producers — a browser, another service,
 * `demo/produce.ts` — feed a live run with examples and labels over the dashboard's WebSocket
 * (`/ws?token=…`, the same token and checks as the dashboard).
 *
 * Protocol (JSON text frames, each at most the server's `maxMessageBytes`, schema-checked by
 * `parseIngestMessage`; every message is answered `ack` or `reject` with its `id`):
 * 1. `{ type: 'examples', run, id?, examples: [{ x, y?, id?, time? }, …] }` (1–1,000): each example
 *    is checked and queued; the `ack` detail counts them ("25 received: 24 queued, 1 rejected
 *    (last: …)"); bad examples are counted in the run's `online.ingest` too. A message for an
 *    unknown run, or one that is not training, is rejected.
 * 2. `{ type: 'labels', run, id?, labels: [{ id, y }, …] }`: passed on at once on `labels`.
 *    With `classes`, a label that is not a class index rejects the message (as an example's
 *    would be: a classifier cannot take it). A message the schema refuses that names a training run is also counted in that run's
 *    `online.ingest` as one rejected input, with the reason (malformed JSON or an oversize
 *    message names no run: only its sender is told).
 * 3. **Flow control (policy `block`)**: an ack means "all of this message's examples are
 *    queued". While the queue is full, a message's examples wait and its ack is withheld until
 *    training made room (the queue drained to half); at most `maxWaitingMessages` messages wait,
 *    one more is rejected ("wait for their acks"). A producer that sends its next message when
 *    the previous one is acked (or keeps a few unacked) is paced by training and never rejected.
 *    With the other policies every message is acked at once and the queue's policy applies.
 * 4. Memory is bounded: the queue's capacity plus `maxWaitingMessages` messages.
 *
 * The steps are a push source (`pushSource`: `batchSize`, `maxWaitMs`, `queue`, `paused`,
 * `resume`), subscribed by one run at a time; it does not complete by itself (unsubscribe to
 * stop; waiting messages are then rejected).
 *
 * @example
 * const server = await metricsServer();
 * const { steps, labels } = ingest(server, 'live', { batchSize: 16, maxWaitMs: 100 });
 * steps.pipe(progressiveValidation(model, { metrics: [accuracy()], labels }), …).subscribe();
 * // a producer: ws.send(JSON.stringify({ type: 'examples', run: 'live', id: 1, examples: [{ x: [0.1, 0.2], y: 1 }] }))
 */
export function ingest(server: MetricsServer, run: string, options: IngestOptions): IngestSource {
  if (typeof server?.handle !== 'function') throw new RxgradError('server', 'a MetricsServer', server);
  if (typeof run !== 'string' || run.length === 0 || run.length > 200) throw new RxgradError('run', 'a string of 1–200 characters', run);
  const router = routerOf(server);
  if (router.has(run)) throw new RxgradError('run', 'an ingest id not yet used on this server', run);
  const ep: Endpoint = {
    waiting: [],
    maxWaiting: positiveInt('maxWaitingMessages', options?.maxWaitingMessages ?? 16),
    labels: new Subject(),
    classes: options.classes === undefined ? undefined : positiveInt('classes', options.classes),
  };
  const steps = pushSource((sink) => {
    if (ep.sink) throw new RxgradError('steps', 'one subscription at a time (this run is already training)', shown('a second subscription'));
    ep.sink = sink;
    return {
      resume: () => flushWaiting(ep),
      stop: () => {
        ep.sink = undefined;
        for (const w of ep.waiting.splice(0)) w.reject(new Error(`run ${JSON.stringify(run)} stopped before these examples were queued`));
      },
    };
  }, options);
  router.set(run, ep);
  return { steps, labels: ep.labels.asObservable() };
}
