import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { loadNats } from './loadNats';
import { isNotFound } from './publishExamples';

/** The durable pull consumer rxgrad reads a stream through. */
export interface DurableConsumer {
  /** Its durable name (checked by the caller: `jetStreamName`). */
  readonly durable: string;
  /** The subject it delivers (the stream's example subject). */
  readonly subject: string;
  /** An unacked message is delivered again after this long. */
  readonly ackWaitMs: number;
  /** Messages delivered and not yet acked, at most. */
  readonly maxAckPending: number;
}

/**
 * Make sure the durable pull consumer `consumer.durable` of `stream` exists, the way every rxgrad
 * reader of a stream (`jetstream()`, `gradientWorker`) makes it, and return its info:
 *
 * 1. Missing: created with explicit acks, delivery of the whole stream (`DeliverPolicy.All`),
 *    filtered on `subject`, with `ackWaitMs` and `maxAckPending`. Several processes creating it
 *    at once (workers starting together) all succeed: the server keeps one consumer, with the
 *    settings of one of them (2.9 applies a later creation's); a creation that fails while
 *    another made it takes the one there.
 * 2. Existing: with `update`, its ack wait and bound are set to these when they differ (a
 *    restarted trainer with new options); without, it is taken as it is (workers sharing one
 *    consumer do not overwrite each other's settings).
 * 3. Any other failure (no server, JetStream not ready, a refused configuration) rejects as is.
 *
 * @example
 * const info = await ensureConsumer(jsm, 'rxgrad', { durable: 'trainer', subject: 'rxgrad.examples', ackWaitMs: 30_000, maxAckPending: 1000 }, true);
 * info.ack_floor.stream_seq; // the last sequence acked in order
 */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, consumer: DurableConsumer, update: boolean): Promise<ConsumerInfo> {
  const { jetstream, transport } = await loadNats();
  const ackWait = transport.nanos(consumer.ackWaitMs);
  try {
    const info = await jsm.consumers.info(stream, consumer.durable);
    if (!update || (info.config.ack_wait === ackWait && info.config.max_ack_pending === consumer.maxAckPending)) return info;
    return await jsm.consumers.update(stream, consumer.durable, { ack_wait: ackWait, max_ack_pending: consumer.maxAckPending });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const config = {
    durable_name: consumer.durable,
    ack_policy: jetstream.AckPolicy.Explicit,
    deliver_policy: jetstream.DeliverPolicy.All,
    ack_wait: ackWait,
    max_ack_pending: consumer.maxAckPending,
    filter_subject: consumer.subject,
  };
  return jsm.consumers.add(stream, config).catch(async (err: unknown) => jsm.consumers.info(stream, consumer.durable).catch(() => Promise.reject(err)));
}
