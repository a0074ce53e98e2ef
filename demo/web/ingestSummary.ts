import type { IngestCounters } from '../../streams/Step';

/**
 * One line on a push source's counters for the run table, the last rejection's reason, and a
 * durable source's consumer counters.
 *
 *   "received 12,345 · dropped 0 · rejected 3 · lag 12 ms"
 *
 * 1. Counts with thousands separators (en-US); lag in ms below 1 s, else in s with 1 decimal.
 * 2. `reason` is the last rejection's reason (undefined while nothing was rejected).
 * 3. `durable`, for a durable source (`jetstream`: the counters carry `acked`), its own line:
 *
 *      "consumer lag 1,200 · ack pending 96 · acked 4,000 · redelivered 3 · duplicates 2 · dead-lettered 1"
 *
 *    consumer lag = the consumer's backlog in the stream (`consumerPending`; "…" until first
 *    known), ack pending = delivered to this trainer and not acked yet (bounded by `maxAckPending`).
 *
 * @example
 * ingestSummary({ received: 12345, queued: 2, trained: 12340, dropped: 0, rejected: 3, lastReason: 'x[2]: NaN', lag: 12 });
 * // { text: 'received 12,345 · dropped 0 · rejected 3 · lag 12 ms', reason: 'x[2]: NaN' }
 */
export function ingestSummary(c: IngestCounters): { readonly text: string; readonly reason?: string; readonly durable?: string } {
  const n = (v: number) => v.toLocaleString('en-US');
  const lag = c.lag < 1000 ? `${Math.round(c.lag)} ms` : `${(c.lag / 1000).toFixed(1)} s`;
  const text = `received ${n(c.received)} · dropped ${n(c.dropped)} · rejected ${n(c.rejected)} · lag ${lag}`;
  const durable =
    c.acked === undefined
      ? undefined
      : `consumer lag ${c.consumerPending === undefined ? '…' : n(c.consumerPending)} · ack pending ${n(c.ackPending ?? 0)} · acked ${n(c.acked)} · ` +
        `redelivered ${n(c.redelivered ?? 0)} · duplicates ${n(c.duplicates ?? 0)} · dead-lettered ${n(c.deadLettered ?? 0)}`;
  return { text, ...(c.rejected > 0 && c.lastReason !== undefined && { reason: c.lastReason }), ...(durable !== undefined && { durable }) };
}
