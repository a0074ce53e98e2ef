import type { IngestCounters } from '../../streams/Step';

/**
 * One line on a push source's counters for the run table, and the last rejection's reason.
 *
 *   "received 12,345 · dropped 0 · rejected 3 · lag 12 ms"
 *
 * 1. Counts with thousands separators (en-US); lag in ms below 1 s, else in s with 1 decimal.
 * 2. `reason` is the last rejection's reason (undefined while nothing was rejected).
 *
 * @example
 * ingestSummary({ received: 12345, queued: 2, trained: 12340, dropped: 0, rejected: 3, lastReason: 'x[2]: NaN', lag: 12 });
 * // { text: 'received 12,345 · dropped 0 · rejected 3 · lag 12 ms', reason: 'x[2]: NaN' }
 */
export function ingestSummary(c: IngestCounters): { readonly text: string; readonly reason?: string } {
  const n = (v: number) => v.toLocaleString('en-US');
  const lag = c.lag < 1000 ? `${Math.round(c.lag)} ms` : `${(c.lag / 1000).toFixed(1)} s`;
  const text = `received ${n(c.received)} · dropped ${n(c.dropped)} · rejected ${n(c.rejected)} · lag ${lag}`;
  return c.rejected > 0 && c.lastReason !== undefined ? { text, reason: c.lastReason } : { text };
}
