import { describe, expect, it } from 'vitest';
import { ingestSummary } from '../../demo/web/ingestSummary';

describe('ingestSummary: a durable source (jetstream) adds a line with its consumer counters', () => {
  const queue = { received: 1500, queued: 20, trained: 1480, dropped: 0, rejected: 1, lastReason: 'Expected `x` 6 features, got 2', lag: 3 };

  it('shows consumer lag, ack pending, acked, redelivered, duplicates and dead-lettered, thousands separated', () => {
    expect(ingestSummary({ ...queue, acked: 1200, redelivered: 3, duplicates: 2, deadLettered: 1, ackPending: 280, consumerPending: 43812 })).toEqual({
      text: 'received 1,500 · dropped 0 · rejected 1 · lag 3 ms',
      reason: 'Expected `x` 6 features, got 2',
      durable: 'consumer lag 43,812 · ack pending 280 · acked 1,200 · redelivered 3 · duplicates 2 · dead-lettered 1',
    });
  });

  it('marks the consumer lag not known yet (the backlog is refreshed about once a second)', () => {
    expect(ingestSummary({ ...queue, acked: 0, redelivered: 0, duplicates: 0, deadLettered: 0, ackPending: 64 }).durable).toBe(
      'consumer lag … · ack pending 64 · acked 0 · redelivered 0 · duplicates 0 · dead-lettered 0',
    );
  });

  it('has no such line for a push source without acks (ingest, tail, replay)', () => {
    expect(ingestSummary(queue)).not.toHaveProperty('durable');
  });
});
