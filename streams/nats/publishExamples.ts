import type { JetStreamManager } from '@nats-io/jetstream';
import { checkExample } from '../../src/online/checkExample';
import { exampleTable, type ExampleRows, type ExampleTable } from '../../src/online/ExampleTable';
import { encodeExampleMessage, type ExampleMessage } from '../../src/online/exampleMessage';
import { RxgradError, shown } from '../../src/RxgradError';
import { inRange, positiveInt } from '../../src/validate';
import { loadNats } from './loadNats';
import { natsConnect, natsServers, type NatsServers } from './natsConnect';

/** The stream, subject and dead-letter subject rxgrad uses unless told otherwise. */
export const NATS_DEFAULTS = { stream: 'rxgrad', subject: 'rxgrad.examples', deadLetter: 'rxgrad.dead' } as const;

/** Options of `ensureStream`. */
export interface StreamOptions {
  /** NATS server URL(s). */
  readonly servers: NatsServers;
  /** Stream name (default `rxgrad`). */
  readonly stream?: string;
  /** The subject examples are published on (default `rxgrad.examples`); the stream's only subject. */
  readonly subject?: string;
  /** The dead-letter subject (default `rxgrad.dead`), kept in the stream `<stream>_dead`; `false`: no dead-letter stream. */
  readonly deadLetter?: string | false;
}

/** What `ensureStream` did. */
export interface EnsuredStream {
  readonly stream: string;
  readonly subject: string;
  /** The dead-letter stream's name, when there is one. */
  readonly deadLetterStream?: string;
  /** Whether the example stream was created now (false: it existed). */
  readonly created: boolean;
}

const NAME = /^[A-Za-z0-9_-]{1,200}$/;
const SUBJECT = /^[^\s*>]+$/;

/**
 * Check a JetStream name — a stream or a durable consumer — at call time:
 *
 * 1. 1–200 letters, digits, `_` or `-` (no dots, spaces or wildcards: the name is part of the
 *    JetStream API's subjects) is returned as it is;
 * 2. anything else is an `RxgradError` naming `field`.
 *
 * @example
 * jetStreamName('durable', 'trainer-1'); // 'trainer-1'
 * jetStreamName('consumer', 'a.b'); // throws "Expected `consumer` a name of 1–200 letters, digits, _ or -, got \"a.b\""
 */
export function jetStreamName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new RxgradError(field, 'a name of 1–200 letters, digits, _ or -', name);
  return name;
}

/**
 * Check the stream options (at call time), filling in `NATS_DEFAULTS`:
 *
 * 1. `stream`: a JetStream name (`jetStreamName`);
 * 2. `subject`: a subject without spaces or wildcards;
 * 3. `deadLetter`: such a subject other than `subject`, or `false`;
 * 4. a bad one is an `RxgradError` naming its field.
 *
 * @example
 * streamNames({ stream: 'sensors' }); // { stream: 'sensors', subject: 'rxgrad.examples', deadLetter: 'rxgrad.dead' }
 * streamNames({ subject: 'a.*' }); // throws "Expected `subject` a NATS subject without spaces or wildcards, got \"a.*\""
 */
export function streamNames(options: Partial<StreamOptions>): { stream: string; subject: string; deadLetter: string | false } {
  const stream = options.stream ?? NATS_DEFAULTS.stream;
  const subject = options.subject ?? NATS_DEFAULTS.subject;
  const deadLetter = options.deadLetter ?? NATS_DEFAULTS.deadLetter;
  jetStreamName('stream', stream);
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) throw new RxgradError('subject', 'a NATS subject without spaces or wildcards', subject);
  if (deadLetter !== false && (typeof deadLetter !== 'string' || !SUBJECT.test(deadLetter) || deadLetter === subject)) {
    throw new RxgradError('deadLetter', `a NATS subject without wildcards, other than ${subject} (or false)`, deadLetter);
  }
  return { stream, subject, deadLetter };
}

/**
 * Whether a JetStream API error says "not found" (a stream or a consumer): its code is 404, or
 * its message says so.
 *
 * @example
 * await jsm.consumers.info('rxgrad', 'trainer').catch((err) => { if (!isNotFound(err)) throw err; });
 */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 404 || /not found/i.test(String((err as Error)?.message));
}

/** Create (or check) one file-storage stream holding exactly `subject`. */
async function ensureOne(jsm: JetStreamManager, name: string, subject: string, field: string): Promise<boolean> {
  const { jetstream } = await loadNats();
  try {
    const info = await jsm.streams.info(name);
    if (!info.config.subjects?.includes(subject)) {
      throw new RxgradError(field, `a subject of the existing stream ${name}`, subject, `it holds ${info.config.subjects?.join(', ') || 'no subject'}`);
    }
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.streams.add({ name, subjects: [subject], storage: jetstream.StorageType.File });
  return true;
}

/**
 * `ensureStream` on a connection the caller holds (it stays open): the example stream and, unless
 * `deadLetter` is false, `<stream>_dead`, created with file storage when missing, an existing one
 * checked to hold its subject (else an `RxgradError` naming `subject` or `deadLetter`).
 *
 * @example
 * const jsm = await jetstreamManager(await natsConnect(['nats://127.0.0.1:4222'], 'rxgrad-trainer'));
 * await ensureStreamWith(jsm, streamNames({})); // { stream: 'rxgrad', subject: 'rxgrad.examples', deadLetterStream: 'rxgrad_dead', created: false }
 */
export async function ensureStreamWith(jsm: JetStreamManager, names: ReturnType<typeof streamNames>): Promise<EnsuredStream> {
  const created = await ensureOne(jsm, names.stream, names.subject, 'subject');
  const deadLetterStream = names.deadLetter === false ? undefined : `${names.stream}_dead`;
  if (deadLetterStream) await ensureOne(jsm, deadLetterStream, names.deadLetter as string, 'deadLetter');
  return { stream: names.stream, subject: names.subject, ...(deadLetterStream && { deadLetterStream }), created };
}

/**
 * Create the JetStream streams rxgrad trains from, if they do not exist yet (idempotent: call
 * it from every producer and trainer).
 *
 * 1. A file-storage stream `stream` (default `rxgrad`) whose only subject is `subject`
 *    (default `rxgrad.examples`): its sequences are then the examples, one each, in order.
 * 2. A file-storage stream `<stream>_dead` holding the dead-letter subject (default
 *    `rxgrad.dead`), where `jetstream()` republishes malformed messages with the reason.
 * 3. An existing stream is left as it is; one that does not hold the subject is an
 *    `RxgradError` naming the subject and what it holds. Bad options throw at call time.
 *
 * @example
 * await ensureStream({ servers: 'nats://127.0.0.1:4222' }); // { stream: 'rxgrad', subject: 'rxgrad.examples', deadLetterStream: 'rxgrad_dead', created: true }
 */
export function ensureStream(options: StreamOptions): Promise<EnsuredStream> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { servers, stream?, subject?, deadLetter? }', options);
  const servers = natsServers('servers', options.servers);
  const names = streamNames(options);
  return (async () => {
    const { jetstream } = await loadNats();
    const nc = await natsConnect(servers, 'rxgrad-ensure-stream');
    try {
      return await ensureStreamWith(await jetstream.jetstreamManager(nc), names);
    } finally {
      await nc.close();
    }
  })();
}

/** Options of `publishExamples`. */
export interface PublishOptions {
  /** NATS server URL(s). */
  readonly servers: NatsServers;
  /** Stream name (default `rxgrad`; created if missing, see `ensureStream`). */
  readonly stream?: string;
  /** Subject (default `rxgrad.examples`). */
  readonly subject?: string;
  /** The examples: a table (`{ n, d, xs, ys }` or rows `{ xs, ys }`) or an iterable of `{ x, y?, id? }`. */
  readonly examples: ExampleTable | ExampleRows | Iterable<ExampleMessage>;
  /** Message ids are `${idPrefix}-${index}`: publishing again (a restarted producer) is deduplicated by the stream. */
  readonly idPrefix: string;
  /** Index of the first example (default 0): the message ids continue from there. */
  readonly from?: number;
  /** Examples per second at most (default: as fast as acks come back). */
  readonly rate?: number;
  /** Publishes awaiting their ack at most (default 256). */
  readonly inFlight?: number;
}

/** What `publishExamples` did. */
export interface Published {
  /** Examples stored in the stream now. */
  readonly published: number;
  /** Examples the stream already had (same message id): not stored twice. */
  readonly duplicates: number;
}

type Outgoing = { x: ArrayLike<number>; y: number | undefined; id?: string | number };

/** The examples as `{ x, y, id }` one after another, without copying a table (a table is checked now, an iterable's examples as they come). */
function messagesOf(examples: PublishOptions['examples']): Iterable<Outgoing> {
  if (examples !== null && typeof examples === 'object' && 'xs' in examples && 'ys' in examples) {
    const t = exampleTable(examples as ExampleTable | ExampleRows);
    return (function* () {
      for (let i = 0; i < t.n; i++) yield { x: t.xs.subarray(i * t.d, (i + 1) * t.d), y: t.ys[i] };
    })();
  }
  if (examples === null || typeof examples !== 'object' || typeof (examples as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new RxgradError('examples', 'a table { xs, ys } or an iterable of { x, y?, id? }', examples);
  }
  return (function* () {
    let i = 0;
    for (const e of examples as Iterable<ExampleMessage>) {
      try {
        checkExample(e, undefined);
      } catch (err) {
        const r = err as RxgradError;
        throw new RxgradError(`examples[${i}].${r.field}`, r.expected, r.got);
      }
      yield { x: e.x, y: e.y ?? undefined, id: e.id };
      i++;
    }
  })();
}

/**
 * Publish examples to a JetStream stream, one per message (`encodeExampleMessage`: JSON
 * `{"x":[…],"y":…,"id":…}`), for `jetstream()` trainers to consume.
 *
 * 1. The stream is created if missing (`ensureStream`).
 * 2. Example i (counted from `from`) is published with the message id `${idPrefix}-${i}`: the
 *    stream stores it once even if it is published again (a producer restarted from the
 *    start), and reports it as a duplicate.
 * 3. At most `inFlight` publishes wait for their ack at a time; with `rate`, example i is sent
 *    no earlier than i / rate seconds after the start.
 * 4. Resolves with the counts once every example is acked by the stream (the connection is
 *    then closed); a failed publish rejects (after the others in flight settle). Bad options
 *    and a bad table throw at call time (an `RxgradError` naming the field); a bad example of
 *    an iterable rejects naming it (`examples[i].x[j]`), the examples before it published.
 *
 * @example
 * await publishExamples({ servers: 'nats://127.0.0.1:4222', examples: elec2(), idPrefix: 'elec2', rate: 2000 }); // { published: 45312, duplicates: 0 }
 */
export function publishExamples(options: PublishOptions): Promise<Published> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { servers, examples, idPrefix, … }', options);
  const servers = natsServers('servers', options.servers);
  const names = streamNames({ stream: options.stream, subject: options.subject });
  if (typeof options.idPrefix !== 'string' || options.idPrefix.length === 0 || /\s/.test(options.idPrefix)) {
    throw new RxgradError('idPrefix', 'a non-empty string without spaces (message ids are `${idPrefix}-${index}`)', options.idPrefix);
  }
  const from = positiveInt('from', options.from ?? 0, 0);
  const rate = options.rate === undefined ? undefined : inRange('rate', options.rate, { min: 0, minOpen: true });
  const inFlight = positiveInt('inFlight', options.inFlight ?? 256);
  const messages = messagesOf(options.examples);
  return (async () => {
    const { jetstream } = await loadNats();
    const nc = await natsConnect(servers, 'rxgrad-publish');
    try {
      const jsm = await jetstream.jetstreamManager(nc);
      await ensureStreamWith(jsm, { ...names, deadLetter: false });
      const js = jsm.jetstream();
      let published = 0;
      let duplicates = 0;
      let failure: unknown;
      const pending = new Set<Promise<void>>();
      const t0 = performance.now();
      let i = 0;
      for (const m of messages) {
        if (failure !== undefined) break;
        if (rate !== undefined) {
          const wait = t0 + (i * 1000) / rate - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        while (pending.size >= inFlight) await Promise.race(pending);
        const p = js.publish(names.subject, encodeExampleMessage(m.x, m.y, m.id), { msgID: `${options.idPrefix}-${from + i}` }).then(
          (ack) => {
            if (ack.duplicate) duplicates++;
            else published++;
          },
          (err) => {
            failure ??= err;
          },
        );
        const tracked = p.finally(() => pending.delete(tracked));
        pending.add(tracked);
        i++;
      }
      await Promise.all(pending);
      if (failure !== undefined) throw new RxgradError('publish', 'every example stored by the stream', shown(`a failure after ${published} stored: ${(failure as Error).message}`));
      return { published, duplicates };
    } finally {
      await nc.close();
    }
  })();
}
