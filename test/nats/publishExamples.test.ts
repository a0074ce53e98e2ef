/**
 * `ensureStream` and `publishExamples` against a real nats-server: the streams they create, one
 * exact JSON example per message with ids `${idPrefix}-${index}`, deduplication of a repeated
 * publish, the pace of `rate`, and bad options and examples named at call time; `ensureConsumer`,
 * the durable consumer every reader of the stream makes.
 */
import { describe, expect, it } from 'vitest';
import { RxgradError } from '../../src/RxgradError';
import { ensureConsumer } from '../../streams/nats/ensureConsumer';
import { ensureStream, publishExamples, type PublishOptions } from '../../streams/nats/publishExamples';
import { useNatsServer } from './natsFixture';

const nats = useNatsServer();

describe('ensureStream', () => {
  it('creates the file-storage example stream and its dead-letter stream once; a second call finds them', async () => {
    expect(await ensureStream({ servers: nats.server.url })).toEqual({ stream: 'rxgrad', subject: 'rxgrad.examples', deadLetterStream: 'rxgrad_dead', created: true });
    expect(await ensureStream({ servers: [nats.server.url] })).toEqual({ stream: 'rxgrad', subject: 'rxgrad.examples', deadLetterStream: 'rxgrad_dead', created: false });
    const [examples, dead] = await Promise.all([nats.jsm.streams.info('rxgrad'), nats.jsm.streams.info('rxgrad_dead')]);
    expect([examples.config.subjects, examples.config.storage, dead.config.subjects, dead.config.storage]).toEqual([['rxgrad.examples'], 'file', ['rxgrad.dead'], 'file']);
    expect(await ensureStream({ servers: nats.server.url, stream: 'nodead', subject: 'nodead.x', deadLetter: false })).toEqual({ stream: 'nodead', subject: 'nodead.x', created: true });
  });

  it('an existing stream without the subject is an error naming the subject and what the stream holds', async () => {
    await nats.jsm.streams.add({ name: 'other', subjects: ['other.a'] });
    await expect(ensureStream({ servers: nats.server.url, stream: 'other', subject: 'other.b' })).rejects.toThrow('Expected `subject` a subject of the existing stream other, got "other.b" (it holds other.a)');
  });
});

describe('publishExamples', () => {
  it('one exact JSON example per message, ids ${idPrefix}-${from + i}; publishing again stores nothing twice', async () => {
    const xs = [Float32Array.of(0.1, 2), Float32Array.of(1 / 3, -4)];
    expect(await publishExamples({ servers: nats.server.url, stream: 'p', subject: 'p.x', examples: { xs, ys: [1, null] }, idPrefix: 'run', from: 10 })).toEqual({ published: 2, duplicates: 0 });
    expect(await publishExamples({ servers: nats.server.url, stream: 'p', subject: 'p.x', examples: [{ x: [5, 6], y: 0, id: 'e7' }], idPrefix: 'run', from: 12 })).toEqual({ published: 1, duplicates: 0 });
    // the same ids again (a restarted producer): deduplicated by the stream
    expect(await publishExamples({ servers: nats.server.url, stream: 'p', subject: 'p.x', examples: { xs, ys: [1, null] }, idPrefix: 'run', from: 10 })).toEqual({ published: 0, duplicates: 2 });
    const msgs = await Promise.all([1, 2, 3].map((seq) => nats.jsm.streams.getMessage('p', { seq })));
    expect(msgs.map((m) => m!.header.get('Nats-Msg-Id'))).toEqual(['run-10', 'run-11', 'run-12']);
    expect(msgs.map((m) => m!.json())).toEqual([{ x: [Math.fround(0.1), 2], y: 1 }, { x: [Math.fround(1 / 3), -4] }, { x: [5, 6], y: 0, id: 'e7' }]);
    expect((await nats.jsm.streams.info('p')).state.messages).toBe(3);
  });

  it('rate: example i is sent no earlier than i / rate s after the start; inFlight 1 publishes one at a time', async () => {
    const t0 = performance.now();
    const examples = Array.from({ length: 21 }, (_, i) => ({ x: [i], y: 0 }));
    expect(await publishExamples({ servers: nats.server.url, stream: 'r', subject: 'r.x', examples, idPrefix: 'r', rate: 100, inFlight: 1 })).toEqual({ published: 21, duplicates: 0 });
    // the last of 21 examples at 100/s leaves 200 ms after the first
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
  });

  it('bad options and examples throw at call time naming the field', () => {
    const ok: PublishOptions = { servers: nats.server.url, examples: [{ x: [1] }], idPrefix: 'a' };
    const cases: [Partial<PublishOptions>, string][] = [
      [{ servers: [] as string[] }, 'servers'],
      [{ idPrefix: '' }, 'idPrefix'],
      [{ idPrefix: 'a b' }, 'idPrefix'],
      [{ rate: 0 }, 'rate'],
      [{ inFlight: 0 }, 'inFlight'],
      [{ from: -1 }, 'from'],
      [{ stream: 'a.b' }, 'stream'],
      [{ examples: 5 as never }, 'examples'],
      [{ examples: { xs: [[1], [2, 3]], ys: [0, 1] } }, 'x'],
    ];
    for (const [bad, field] of cases) {
      let err: unknown;
      try {
        void publishExamples({ ...ok, ...bad });
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(RxgradError);
      expect((err as RxgradError).field, field).toBe(field);
    }
    expect(() => ensureStream({ servers: nats.server.url, deadLetter: 'rxgrad.examples' })).toThrow('Expected `deadLetter` a NATS subject without wildcards, other than rxgrad.examples (or false)');
  });

  it('a bad example of an iterable rejects naming its index and field', async () => {
    await expect(publishExamples({ servers: nats.server.url, stream: 'q', subject: 'q.x', examples: [{ x: [1] }, { x: [1, NaN] }], idPrefix: 'q' })).rejects.toThrow('Expected `examples[1].x[1]` a finite number, got NaN');
  });
});

describe('ensureConsumer', () => {
  it('creates a missing durable (explicit acks, the whole stream, the subject); updates an existing one only when asked; several at once get the one created', async () => {
    await ensureStream({ servers: nats.server.url, stream: 'cons', subject: 'cons.x', deadLetter: false });
    const options = { durable: 'reader', subject: 'cons.x', ackWaitMs: 2000, maxAckPending: 50 };
    const created = await ensureConsumer(nats.jsm, 'cons', options, false);
    expect(created.config).toMatchObject({ durable_name: 'reader', ack_policy: 'explicit', deliver_policy: 'all', filter_subject: 'cons.x', ack_wait: 2e9, max_ack_pending: 50 });
    // a worker sharing it takes it as it is
    expect((await ensureConsumer(nats.jsm, 'cons', { ...options, ackWaitMs: 5000, maxAckPending: 80 }, false)).config).toMatchObject({ ack_wait: 2e9, max_ack_pending: 50 });
    // a trainer restarted with new options updates it
    expect((await ensureConsumer(nats.jsm, 'cons', { ...options, ackWaitMs: 5000, maxAckPending: 80 }, true)).config).toMatchObject({ ack_wait: 5e9, max_ack_pending: 80 });
    expect((await nats.jsm.consumers.info('cons', 'reader')).config).toMatchObject({ ack_wait: 5e9, max_ack_pending: 80 });
    // three workers starting at once with different settings: none fails, and the server keeps one consumer with one of the settings
    const racing = await Promise.all([10, 20, 30].map((maxAckPending) => ensureConsumer(nats.jsm, 'cons', { ...options, durable: 'shared', maxAckPending }, false)));
    expect(new Set(racing.map((i) => i.name))).toEqual(new Set(['shared']));
    expect([10, 20, 30]).toContain((await nats.jsm.consumers.info('cons', 'shared')).config.max_ack_pending);
    // another failure rejects as it is
    await expect(ensureConsumer(nats.jsm, 'no-such-stream', options, false)).rejects.toThrow(/stream not found/);
  });
});
