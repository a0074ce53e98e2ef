/**
 * `jetstream()` against a real nats-server: training from the stream equals replaying the same
 * table (bit for bit), acks come only after the checkpoint holding the update, redeliveries of
 * trained messages are skipped and acked, malformed messages land in the dead-letter stream with
 * their reason while the model equals one trained on the good ones only, subscription lifetimes
 * (take, unsubscribe, error) release everything, and bad options fail at call time.
 */
import { AckPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { BehaviorSubject, lastValueFrom, map, type Observable, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { accuracy } from '../../src/metrics/accuracy';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { RxgradError } from '../../src/RxgradError';
import { jetstream, type JetStreamOptions } from '../../streams/nats/jetstream';
import { publishExamples } from '../../streams/nats/publishExamples';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { resume } from '../../streams/resume';
import { replay } from '../../streams/sources/replay';
import type { Step, StepResult } from '../../streams/Step';
import { expectNoLeak, until } from '../helpers';
import { elec2Rows, sleep, trainLogistic, useNatsServer } from './natsFixture';

const nats = useNatsServer();


const N = 800;
const table = elec2Rows(N);
/** Stream names of one test (each test its own stream, subject and dead-letter subject). */
const names = (s: string) => ({ stream: s, subject: `${s}.examples`, deadLetter: `${s}.dead` });

/** Test-then-train logistic regression with SGD and checkpoints every 10 steps, until `n` examples are in the model. */
async function train(source: Observable<Step<ExampleBatch>>, n: number, dir = nats.tempDir(), resumeFrom = false) {
  return { ...(await trainLogistic(source, { features: table.d, n, dir, everySteps: 10, resume: resumeFrom })), dir };
}
const optionsOf = (s: string, more: Partial<JetStreamOptions> = {}): JetStreamOptions => ({
  servers: nats.server.url,
  ...names(s),
  durable: 'trainer',
  features: table.d,
  classes: 2,
  batchSize: 8,
  maxAckPending: 200,
  ...more,
});
const options = optionsOf;
async function consumerInfo(stream: string, durable = 'trainer') {
  return nats.jsm.consumers.info(stream, durable);
}

describe('jetstream() with a real nats-server', () => {
  it('trains the stream as replay trains the table (bit for bit); a message is acked only once the checkpoint holding it is written', async () => {
    await publishExamples({ servers: nats.server.url, ...names('a'), examples: table, idPrefix: 'a' });
    const ref = await train(replay(table, { batchSize: 8 }), N);
    let got!: Awaited<ReturnType<typeof train>>;
    await expectNoLeak(async () => (got = await train(jetstream(options('a')), N)));
    expect(got.params).toEqual(ref.params);
    expect(got.results.map((r) => r.online?.metrics)).toEqual(ref.results.map((r) => r.online?.metrics));

    // Checkpoints every 10 steps of 8 examples: the counters of step s (taken at the source,
    // before its own checkpoint) show the acks of the checkpoints of steps < s: 80 ⌊(s − 1)/10⌋.
    const ingest = got.results.map((r) => r.online!.ingest!);
    expect(ingest.map((c) => c.acked)).toEqual(got.results.map((r) => 80 * Math.floor((r.step - 1) / 10)));
    expect(ingest.every((c) => c.ackPending! <= 200 && c.duplicates === 0 && c.deadLettered === 0 && c.redelivered === 0)).toBe(true);
    expect(ingest.at(-1)).toMatchObject({ received: N, trained: N, rejected: 0 });
    expect(ingest.some((c) => c.consumerPending !== undefined)).toBe(true);
    // After the final checkpoint every message is acked (the final write acked the last 80).
    await until(async () => (await consumerInfo('a')).ack_floor.stream_seq === N);
    expect((await consumerInfo('a')).num_ack_pending).toBe(0);
    // The checkpoint holds the sequences in the model, and the source position the last one.
    const cp = resume(got.dir, logisticRegression(table.d).params).checkpoint!;
    expect(cp.state.jetstream).toEqual({ ranges: [[1, N]] });
    expect(cp.state.source).toMatchObject({ step: N / 8, examples: N, position: N });
  });

  it('a message delivered again after its checkpoint (an ack the server lost) is skipped, acked and counted, not trained twice', async () => {
    await publishExamples({ servers: nats.server.url, ...names('b'), examples: table, idPrefix: 'b' });
    const dir = nats.tempDir();
    await train(jetstream(options('b')), 400, dir);
    // A new consumer delivers every message again as a first delivery (as a server restarted
    // after SIGKILL may): the resumed run recognises the 400 it has, and trains the rest.
    const model = logisticRegression(table.d);
    const r = resume(dir, model.params);
    model.params.w.dispose();
    model.params.b.dispose();
    const got = await train(jetstream(options('b', { durable: 'again', resume: r.checkpoint })), N, dir, true);
    const ref = await train(replay(table, { batchSize: 8 }), N);
    expect(got.params).toEqual(ref.params);
    expect(got.results[0].step).toBe(51);
    expect(got.results.at(-1)!.online!.ingest).toMatchObject({ duplicates: 400, trained: N });
  });

  it('1,000 malformed messages: each in the dead-letter stream with its reason, terminated; the model equals one trained on the good ones only', async () => {
    const good = elec2Rows(400);
    const s = names('c');
    await nats.jsm.streams.add({ name: 'c', subjects: [s.subject] });
    const js = nats.jsm.jetstream();
    const bad = [
      (i: number) => `{"x":[1,2,3`, // not JSON
      (i: number) => JSON.stringify({ x: [i, 1], y: 0 }), // 2 features, not 6
      (i: number) => JSON.stringify({ x: [1, 2, 3, 4, 5, 6], y: 7 }), // not a class
      (i: number) => JSON.stringify({ x: [1, 2, 3, 4, 5, 'a'], y: 1 }), // a string feature
      (i: number) => JSON.stringify({ x: [1, 2, 3, 4, 5, 6], y: 1, extra: i }), // an unknown field
    ];
    const expectedReasons = [/`line` JSON/, /`x` 6 features/, /`y` a class index in \[0, 2\)/, /`x\[5\]` a finite number/, /`extra` absent/];
    // 1,400 messages in 200 rounds: 5 malformed ones (one of each kind), then 2 good ones.
    const published: Promise<unknown>[] = [];
    let g = 0;
    let b = 0;
    let id = 0;
    while (g < 400 || b < 1000) {
      for (let k = 0; k < 5 && b < 1000; k++, b++) published.push(js.publish(s.subject, bad[k](b), { msgID: `c-${id++}` }));
      for (let k = 0; k < 2 && g < 400; k++, g++) published.push(js.publish(s.subject, JSON.stringify({ x: Array.from(good.xs.subarray(g * 6, g * 6 + 6)), y: good.ys[g] }), { msgID: `c-${id++}` }));
    }
    await Promise.all(published);

    const got = await train(jetstream(options('c')), 400);
    const ref = await train(replay(good, { batchSize: 8 }), 400);
    expect(got.params).toEqual(ref.params);
    // every malformed message is counted with its reason (all came before the last good one)
    const last = got.results.at(-1)!.online!.ingest!;
    expect(last).toMatchObject({ received: 1400, trained: 400, rejected: 1000, dropped: 0 });
    expect(last.lastReason).toMatch(expectedReasons[4]);
    await until(async () => (await nats.jsm.streams.info('c_dead')).state.messages === 1000);
    const dead = await nats.jsm.streams.info('c_dead');
    const letters = await Promise.all(Array.from({ length: 1000 }, (_, k) => nats.jsm.streams.getMessage('c_dead', { seq: dead.state.first_seq + k })));
    const bodies = letters.map((m) => m!.json<{ reason: string; stream: string; subject: string; sequence: number; deliveries: number; payload: string }>());
    expect(new Set(bodies.map((d) => d.sequence)).size).toBe(1000);
    for (const d of bodies) {
      expect(d).toMatchObject({ stream: 'c', subject: s.subject, deliveries: 1 });
      // the sequence's position among the 7-message rounds tells its kind
      const kind = (d.sequence - 1) % 7;
      expect(kind).toBeLessThan(5);
      expect(d.reason).toMatch(expectedReasons[kind]);
      const original = await nats.jsm.streams.getMessage('c', { seq: d.sequence });
      expect(d.payload).toBe(original!.string());
    }
    // terminated: nothing left pending or to redeliver
    await until(async () => (await consumerInfo('c')).num_ack_pending === 0);
  });

  it('take(3) completes after 3 steps and nak()s what it held, so the next trainer trains them; no tensor left', async () => {
    await publishExamples({ servers: nats.server.url, ...names('d'), examples: elec2Rows(200), idPrefix: 'd' });
    await expectNoLeak(async () => {
      const steps = await lastValueFrom(jetstream(options('d')).pipe(take(3), map((s) => s.size), toArray()));
      expect(steps).toEqual([8, 8, 8]);
    });
    // nothing was checkpointed: no message was acked; those delivered were nak'ed once the last
    // pull request ended: the next subscription trains them at once (ackWait is 30 s), in order
    expect((await consumerInfo('d')).ack_floor.stream_seq).toBe(0);
    const next = await lastValueFrom(jetstream(options('d')).pipe(take(2), toArray()));
    expect(next.map((s) => Array.from(s.batch.x.subarray(0, 6)))).toEqual([Array.from(elec2Rows(1).xs)].concat([Array.from(elec2Rows(9).xs.subarray(48, 54))]));
    expect(next[0].online!.ingest!.redelivered).toBeGreaterThan(0);
  });

  it('an error in the pipeline and an early unsubscribe free every tensor and nak what they held', async () => {
    await publishExamples({ servers: nats.server.url, ...names('e'), examples: elec2Rows(200), idPrefix: 'e' });
    await expectNoLeak(async () => {
      const model = logisticRegression(table.d);
      const run = jetstream(options('e')).pipe(
        progressiveValidation(model, { metrics: [accuracy()] }),
        gradients(model.loss, model.params),
        optimize(sgd({ lr: 0.1 })),
        applyUpdates(model.params),
        tap((r: StepResult) => {
          if (r.step === 4) throw new Error('boom');
        }),
      );
      await expect(lastValueFrom(run)).rejects.toThrow('boom');
      model.params.w.dispose();
      model.params.b.dispose();
    });
    await expectNoLeak(async () => {
      const seen: number[] = [];
      const sub = jetstream(options('e')).subscribe((s) => seen.push(s.step));
      await until(() => seen.length >= 2);
      sub.unsubscribe();
      await sleep(50);
    });
    // nak'ed, not lost: a third subscription gets the first messages again (at once: ackWait is 30 s)
    const again = await lastValueFrom(jetstream(options('e')).pipe(take(1)));
    expect(Array.from(again.batch.x.subarray(0, 6))).toEqual(Array.from(elec2Rows(1).xs));
  });

  it('bad options fail at call time naming the field; an unreachable server errors the stream', async () => {
    const ok = options('f');
    const cases: [Partial<JetStreamOptions> | null, string][] = [
      [{ servers: '' }, 'servers'],
      [{ durable: 'a.b' }, 'durable'],
      [{ features: 0 }, 'features'],
      [{ batchSize: 1.5 }, 'batchSize'],
      [{ ackWaitMs: 10 }, 'ackWaitMs'],
      [{ maxAckPending: 4 }, 'maxAckPending'],
      [{ stream: 'a.b' }, 'stream'],
      [{ subject: 'a.*' }, 'subject'],
      [{ deadLetter: 'f.examples' }, 'deadLetter'],
      [{ ordered: 'yes' as never }, 'ordered'],
      [{ setupTimeoutMs: -1 }, 'setupTimeoutMs'],
    ];
    for (const [bad, field] of cases) {
      let err: unknown;
      try {
        jetstream({ ...ok, ...bad });
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(RxgradError);
      expect((err as RxgradError).field).toBe(field);
    }
    expect(() => jetstream(null as never)).toThrow(RxgradError);
    // setupTimeoutMs 0: one attempt (retries with a server coming back: jetstreamSetup.test.ts)
    await expect(lastValueFrom(jetstream({ ...ok, servers: 'nats://127.0.0.1:1', setupTimeoutMs: 0 }))).rejects.toThrow('Expected `servers` a reachable NATS JetStream server with stream f (nats://127.0.0.1:1), got a failure: connection refused (after 1 failed attempt (setupTimeoutMs 0))');
    // a stream that exists without the subject: the error names the subject
    await nats.jsm.streams.add({ name: 'f', subjects: ['f.other'] });
    await expect(lastValueFrom(jetstream(ok))).rejects.toThrow('Expected `subject` a subject of the existing stream f, got "f.examples" (it holds f.other)');
  });

  it('a dead letter that cannot be stored is nak()ed and retried: dead-lettered once the dead-letter stream is back', async () => {
    const s = names('h');
    await nats.jsm.streams.add({ name: 'h', subjects: [s.subject] });
    const js = nats.jsm.jetstream();
    const good = elec2Rows(8);
    for (let i = 0; i < 8; i++) await js.publish(s.subject, JSON.stringify({ x: Array.from(good.xs.subarray(i * 6, i * 6 + 6)), y: good.ys[i] }));
    await js.publish(s.subject, 'not json');
    const seen: Step<ExampleBatch>[] = [];
    const sub = jetstream(options('h', { nakDelayMs: 100, batchSize: 1, maxAckPending: 20 })).subscribe((st) => seen.push(st));
    await until(async () => (await nats.jsm.streams.info('h_dead').then(() => true, () => false)) && seen.length >= 8);
    // The dead-letter stream goes away: publishing the letter fails, the message is nak'ed and redelivered.
    await nats.jsm.streams.delete('h_dead');
    await js.publish(s.subject, '{"x":'); // sequence 10
    for (let i = 0; i < 8; i++) await js.publish(s.subject, JSON.stringify({ x: Array.from(good.xs.subarray(i * 6, i * 6 + 6)), y: good.ys[i] }));
    await until(() => seen.length >= 16 && (seen.at(-1)!.online!.ingest!.rejected ?? 0) >= 2);
    await until(async () => (await consumerInfo('h')).num_redelivered > 0);
    await nats.jsm.streams.add({ name: 'h_dead', subjects: [s.deadLetter] });
    await until(async () => (await nats.jsm.streams.info('h_dead')).state.messages === 1);
    // One more good message: its step reports both dead letters and the retries.
    await js.publish(s.subject, JSON.stringify({ x: Array.from(good.xs.subarray(0, 6)), y: good.ys[0] }));
    await until(() => seen.length >= 17);
    sub.unsubscribe();
    const last = seen.at(-1)!.online!.ingest!;
    expect(last.deadLettered).toBe(2);
    expect(last.redelivered).toBeGreaterThan(0);
    expect(last.rejected).toBeGreaterThan(2); // each delivery of the bad one was counted
    const letter = (await nats.jsm.streams.getMessage('h_dead', { seq: 1 }))!.json<{ reason: string; sequence: number; deliveries: number }>();
    expect(letter).toMatchObject({ sequence: 10 });
    expect(letter.deliveries).toBeGreaterThan(1);
    expect(letter.reason).toMatch(/`line` JSON/);
  });

  it('a dead letter keeps a payload that is not UTF-8 as base64, and the first 256 KiB of a large one with its size', async () => {
    const s = names('k');
    await nats.jsm.streams.add({ name: 'k', subjects: [s.subject] });
    const js = nats.jsm.jetstream();
    await js.publish(s.subject, Uint8Array.of(0xff, 0x00, 0xfe));
    await js.publish(s.subject, 'z'.repeat(300 * 1024));
    const good = elec2Rows(8);
    for (let i = 0; i < 8; i++) await js.publish(s.subject, JSON.stringify({ x: Array.from(good.xs.subarray(i * 6, i * 6 + 6)), y: good.ys[i] }));
    await lastValueFrom(jetstream(options('k')).pipe(take(1)));
    await until(async () => (await nats.jsm.streams.info('k_dead').catch(() => undefined))?.state.messages === 2);
    const [a, b] = await Promise.all([1, 2].map(async (seq) => (await nats.jsm.streams.getMessage('k_dead', { seq }))!.json<Record<string, unknown>>()));
    const [first, second] = a.sequence === 1 ? [a, b] : [b, a];
    expect(first).toMatchObject({ sequence: 1, payload: 'base64:/wD+', reason: 'Expected `message` UTF-8 text, got 3 bytes that are not UTF-8' });
    expect(second).toMatchObject({ sequence: 2, payloadBytes: 300 * 1024 });
    expect(second.payload).toBe('z'.repeat(256 * 1024));
    expect(second.reason).toMatch(/Expected `line` JSON/);
  });

  it('a trainer that could neither take a message nor train a batch for ackWaitMs (maxAckPending too small for the checkpoint interval) errors naming maxAckPending', async () => {
    await publishExamples({ servers: nats.server.url, ...names('i'), examples: elec2Rows(100), idPrefix: 'i' });
    // 16 in flight, batches of 8, a checkpoint every 10 steps: after 2 steps no message can come.
    await expect(train(jetstream(options('i', { maxAckPending: 16, ackWaitMs: 300 })), 100)).rejects.toThrow(/Expected `maxAckPending` more than the examples trained between two checkpoints/);
  });

  it('messages held longer than ackWait (here: paused training) are kept alive with working(), not redelivered', async () => {
    await publishExamples({ servers: nats.server.url, ...names('j'), examples: elec2Rows(80), idPrefix: 'j' });
    const paused = new BehaviorSubject(true);
    const seen: Step<ExampleBatch>[] = [];
    const sub = jetstream(options('j', { ackWaitMs: 1000, paused })).subscribe((st) => seen.push(st));
    await until(async () => (await consumerInfo('j').catch(() => undefined))?.num_ack_pending === 80);
    await sleep(2500); // 2.5 × ackWait, nothing trained
    expect(seen).toEqual([]);
    paused.next(false);
    await until(() => seen.length === 10);
    sub.unsubscribe();
    expect(seen.at(-1)!.online!.ingest).toMatchObject({ trained: 80, redelivered: 0, duplicates: 0, ackPending: 80 });
    expect((await consumerInfo('j')).num_redelivered).toBe(0);
  });

  it('ordered: false — two trainers sharing one durable consumer split the stream: each message goes to one of them', async () => {
    const n = 400;
    const t = elec2Rows(n);
    await publishExamples({ servers: nats.server.url, ...names('m'), examples: Array.from({ length: n }, (_, i) => ({ x: Array.from(t.xs.subarray(i * 6, i * 6 + 6)), y: t.ys[i], id: i })), idPrefix: 'm' });
    const got: number[][] = [[], []];
    const subs = got.map((ids) => jetstream(options('m', { ordered: false, maxAckPending: 400, maxWaitMs: 20 })).subscribe((st) => ids.push(...(st.batch.ids as number[]))));
    await until(() => got[0].length + got[1].length >= n);
    subs.forEach((sub) => sub.unsubscribe());
    expect([...got[0], ...got[1]].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('an existing consumer is reused with the new ackWait and maxAckPending', async () => {
    await publishExamples({ servers: nats.server.url, ...names('g'), examples: elec2Rows(16), idPrefix: 'g' });
    await nats.jsm.consumers.add('g', { durable_name: 'trainer', ack_policy: AckPolicy.Explicit, ack_wait: nanos(5000), max_ack_pending: 50, filter_subject: 'g.examples' });
    const steps = await lastValueFrom(jetstream(options('g', { ackWaitMs: 2000, maxAckPending: 100 })).pipe(take(2), toArray()));
    expect(steps.map((s) => s.size)).toEqual([8, 8]);
    const ci = await consumerInfo('g');
    expect([ci.config.ack_wait, ci.config.max_ack_pending]).toEqual([nanos(2000), 100]);
  });
});
