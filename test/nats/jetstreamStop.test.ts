/**
 * A stopped `jetstream()` trainer hands back every message it was sent and did not ack — also
 * the ones its last pull request delivered after the stop (freed room: the final checkpoint's
 * acks) — so they are redelivered at once, not after `ackWaitMs`: an ordered run started right
 * after a stop trains on without waiting. (Regression: the messages delivered while `consume()`
 * was being stopped were dropped by the client, neither acked nor nak'ed, and an ordered
 * successor waited 30 s for the first of them.)
 */
import { throwError, timeout, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { logisticRegression } from '../../src/models/logisticRegression';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { jetstream, type JetStreamOptions } from '../../streams/nats/jetstream';
import { publishExamples } from '../../streams/nats/publishExamples';
import { resume } from '../../streams/resume';
import { replay } from '../../streams/sources/replay';
import type { Step } from '../../streams/Step';
import { elec2Rows, sleep, trainLogistic, useNatsServer } from './natsFixture';

const nats = useNatsServer();

const N = 400;
const table: ExampleTable = elec2Rows(N);
const names = (s: string) => ({ stream: s, subject: `${s}.examples`, deadLetter: `${s}.dead` });
/** A 30 s ack wait: a message left neither acked nor nak'ed would stall an ordered successor far past the 5 s allowed between steps. */
const optionsOf = (s: string, more: Partial<JetStreamOptions> = {}): JetStreamOptions => ({
  servers: nats.server.url,
  ...names(s),
  durable: 'trainer',
  features: table.d,
  classes: 2,
  batchSize: 4,
  maxAckPending: 41,
  ackWaitMs: 30_000,
  ...more,
});

/** SGD with a checkpoint every 5 steps (20 examples) until `n` examples are in the model; no 5 s without a step. */
function train(source: Observable<Step<ExampleBatch>>, n: number, dir: string) {
  const stalled = timeout<Step<ExampleBatch>, Observable<never>>({ each: 5000, with: () => throwError(() => new Error('no step for 5 s: a message of the stopped run is waited for until ackWait')) });
  return trainLogistic(source, { features: table.d, n, dir, everySteps: 5, resume: true, evaluate: false, first: stalled });
}
const checkpointOf = (dir: string) => {
  const model = logisticRegression(table.d);
  const r = resume(dir, model.params);
  model.params.w.dispose();
  model.params.b.dispose();
  return r.checkpoint;
};

describe('jetstream() stopped: every unacked message is handed back at once', () => {
  it('an ordered run started right after a stop at a checkpoint trains on at once, and ends with the model of one uninterrupted run', async () => {
    await publishExamples({ servers: nats.server.url, ...names('a'), examples: table, idPrefix: 'a' });
    const dir = nats.tempDir();
    // The first run stops at 128 examples, right after the final checkpoint's acks freed room
    // that the open pull request fills with messages the run will not train.
    const first = await train(jetstream(optionsOf('a')), 128, dir);
    expect(first.results.at(-1)!.examples).toBe(128);
    const t0 = performance.now();
    const second = await train(jetstream(optionsOf('a', { resume: checkpointOf(dir) })), N, dir);
    const seconds = (performance.now() - t0) / 1000;
    expect(second.results[0].step).toBe(33);
    expect(second.results.at(-1)!.examples).toBe(N);
    // The first messages of the second run are the first run's, redelivered (nak'ed at its stop).
    expect(second.results[0].online!.ingest!.redelivered).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(10);
    // Checkpoints every 5 steps in both: the batches and updates of one uninterrupted run.
    const ref = await train(replay(table, { batchSize: 4 }), N, nats.tempDir());
    expect(second.params).toEqual(ref.params);
    expect((await nats.jsm.consumers.info('a', 'trainer')).ack_floor.stream_seq).toBe(N);
  }, 60_000);

  it('a trainer unsubscribed mid-stream (after 1, 3 or 7 steps) hands back every message delivered past the ack floor: all are redelivered at once', async () => {
    await publishExamples({ servers: nats.server.url, ...names('b'), examples: table, idPrefix: 'b' });
    const js = nats.jsm.jetstream();
    for (const k of [1, 3, 7]) {
      const seen: number[] = [];
      const sub = jetstream(optionsOf('b', { maxAckPending: 40 })).subscribe((s) => seen.push(s.step));
      while (seen.length < k) await sleep(5);
      sub.unsubscribe();
      // The stop waits for its last pull request to end (≤ 1 s), then nak()s.
      await sleep(1500);
      const ci = await nats.jsm.consumers.info('b', 'trainer');
      const floor = ci.ack_floor.stream_seq;
      const delivered = ci.delivered.stream_seq;
      expect(delivered).toBeGreaterThan(floor);
      const fetched: number[] = [];
      const batch = await (await js.consumers.get('b', 'trainer')).fetch({ max_messages: delivered - floor, expires: 3000 });
      for await (const m of batch) {
        fetched.push(m.seq);
        m.nak(); // for the next round
      }
      expect(fetched.sort((a, b) => a - b), `stopped after ${k} steps`).toEqual(Array.from({ length: delivered - floor }, (_, i) => floor + 1 + i));
      await sleep(200);
    }
  }, 60_000);
});
