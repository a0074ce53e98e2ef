import { describe, expect, it } from 'vitest';
import { ExampleQueue } from '../../../src/queue/ExampleQueue';
import { mulberry32 } from '../../../streams/sources/mulberry32';

const ex = (v: number) => ({ x: [v, -v], y: v % 2, id: `e${v}` });
const firstFeatures = (q: ExampleQueue) => {
  const { batch } = q.take(q.length);
  return Array.from({ length: batch.n }, (_, i) => batch.x[i * batch.d]);
};

describe('ExampleQueue', () => {
  it('is a FIFO returning columnar batches with ids, labels, times and the last mark', () => {
    const q = new ExampleQueue({ capacity: 4, policy: 'block' });
    q.offer({ x: [1, 2], y: 1, id: 'a', time: 100 }, 5, 10);
    q.offer({ x: Float32Array.of(3, 4) }, 6, 20);
    q.offer({ x: [5, 6], y: null }, 7, 30);
    const { batch, mark } = q.take(2);
    expect(batch.n).toBe(2);
    expect(batch.d).toBe(2);
    expect(Array.from(batch.x)).toEqual([1, 2, 3, 4]);
    expect(Array.from(batch.y)).toEqual([1, NaN]);
    expect(batch.ids).toEqual(['a', undefined]);
    // the producer's time, else the arrival time
    expect(Array.from(batch.times)).toEqual([100, 6]);
    expect(mark).toBe(20);
    expect(q.counters(17)).toEqual({ received: 3, queued: 1, trained: 2, dropped: 0, rejected: 0, lag: 10 });
  });

  it('wraps around its ring many times without losing order', () => {
    const q = new ExampleQueue({ capacity: 3, policy: 'block' });
    const out: number[] = [];
    for (let i = 0; i < 20; i++) {
      q.offer(ex(i), i);
      if (i % 2 === 1) out.push(...firstFeatures(q));
    }
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('rejects bad examples with counted reasons, fixing the width from the first valid one', () => {
    const q = new ExampleQueue({ capacity: 4, policy: 'block' });
    expect(q.offer({ x: [1, NaN] }, 0)).toBe('rejected');
    expect(q.counters(0).lastReason).toBe('Expected `x[1]` a finite number, got NaN');
    expect(q.offer({ x: [1, 2] }, 0)).toBe('queued');
    expect(q.offer({ x: [1, 2, 3] }, 0)).toBe('rejected');
    expect(q.counters(0).lastReason).toBe('Expected `x` 2 features, got 3');
    expect(q.offer({ x: [1, '2'] }, 0)).toBe('rejected');
    expect(q.counters(0).lastReason).toBe('Expected `x[1]` a finite number, got "2"');
    q.reject('Expected `line` JSON, got "{"');
    expect(q.counters(0)).toEqual({ received: 5, queued: 1, trained: 0, dropped: 0, rejected: 4, lastReason: 'Expected `line` JSON, got "{"', lag: 0 });
  });

  it('with classes, rejects a label that is not a class index (counted, with the reason)', () => {
    const q = new ExampleQueue({ capacity: 4, policy: 'block', classes: 3 });
    expect([0, 2, 3, 1.5, -1].map((y) => q.offer({ x: [1], y }, 0))).toEqual(['queued', 'queued', 'rejected', 'rejected', 'rejected']);
    expect(q.counters(0)).toMatchObject({ received: 5, queued: 2, rejected: 3, lastReason: 'Expected `y` a class index in [0, 3), null or absent, got -1' });
    expect(() => new ExampleQueue({ capacity: 4, policy: 'block', classes: 0 })).toThrow('Expected `classes` an integer ≥ 1, got 0');
  });

  it('settled(): the counters up to the last example taken, and a queue continuing from them', () => {
    const q = new ExampleQueue({ capacity: 2, policy: 'dropOldest' });
    expect(q.settled()).toEqual({ received: 0, dropped: 0, rejected: 0 });
    // inputs in order: a (queued), bad (rejected), b, c (drops a: full), d (drops b), bad2 (rejected)
    q.offer(ex(1), 0);
    q.offer({ x: [NaN, 0] }, 0);
    q.offer(ex(2), 0);
    q.offer(ex(3), 0);
    q.offer(ex(4), 0);
    q.reject('late');
    q.take(1); // takes c (3); queued: d
    // up to c, by hand: received a, bad, b, c = 4; rejected bad = 1; trained c = 1; so dropped a, b = 4 − 1 − 1 = 2.
    // d and the second bad input came after c: not settled (a file source reads them again after c's position).
    expect(q.settled()).toEqual({ received: 4, dropped: 2, rejected: 1, lastReason: 'Expected `x[0]` a finite number, got NaN' });
    expect(q.counters(0)).toMatchObject({ received: 6, queued: 1, trained: 1, dropped: 2, rejected: 2, lastReason: 'late' });
    // A resumed queue starts from a checkpoint's settled counters and the trained examples.
    const r = new ExampleQueue({ capacity: 2, policy: 'dropOldest', counts: { ...q.settled(), trained: 1 } });
    expect(r.settled()).toEqual(q.settled());
    r.offer(ex(4), 0);
    r.reject('late');
    expect(r.counters(0)).toEqual(q.counters(0));
  });

  it('dropNewest and block keep the first `capacity` examples; dropOldest the last', () => {
    for (const policy of ['dropNewest', 'block'] as const) {
      const q = new ExampleQueue({ capacity: 3, policy });
      const outcomes = [1, 2, 3, 4, 5].map((v) => q.offer(ex(v), v));
      expect(outcomes).toEqual(['queued', 'queued', 'queued', 'dropped', 'dropped']);
      expect(q.counters(5)).toMatchObject({ received: 5, queued: 3, dropped: 2, lag: 4 });
      expect(firstFeatures(q)).toEqual([1, 2, 3]);
    }
    const q = new ExampleQueue({ capacity: 3, policy: 'dropOldest' });
    [1, 2, 3, 4, 5].forEach((v) => q.offer(ex(v), v));
    // lag: the oldest queued example (3) arrived at t = 3
    expect(q.counters(5)).toMatchObject({ received: 5, queued: 3, dropped: 2, lag: 2 });
    expect(firstFeatures(q)).toEqual([3, 4, 5]);
  });

  it('sample keeps a uniform reservoir (Algorithm R) in arrival order', () => {
    // Offer 1..100 into a queue of 10, 2000 times: every example should be kept with probability
    // 10 / 100 = 0.1 (Algorithm R over the whole overflow episode), i.e. ≈ 200 times each
    // (binomial sd = √(2000 · 0.1 · 0.9) ≈ 13.4; ±5 sd = 67).
    const kept = new Array(101).fill(0);
    const random = mulberry32(7);
    for (let r = 0; r < 2000; r++) {
      const q = new ExampleQueue({ capacity: 10, policy: 'sample', random });
      for (let v = 1; v <= 100; v++) q.offer(ex(v), v);
      const vs = firstFeatures(q);
      expect(vs).toEqual([...vs].sort((a, b) => a - b));
      vs.forEach((v) => (kept[v] += 1));
      expect(q.counters(100)).toMatchObject({ received: 100, trained: 10, dropped: 90 });
    }
    for (let v = 1; v <= 100; v++) expect(Math.abs(kept[v] - 200)).toBeLessThan(67);
  });

  it('never holds more than its capacity whatever is offered', () => {
    for (const policy of ['block', 'dropOldest', 'dropNewest', 'sample'] as const) {
      const q = new ExampleQueue({ capacity: 50, policy, random: mulberry32(1) });
      for (let i = 0; i < 10_000; i++) {
        q.offer(ex(i), i);
        if (i % 100 === 0) q.take(3);
        expect(q.length).toBeLessThanOrEqual(50);
      }
      const c = q.counters(0);
      expect(c.received).toBe(c.queued + c.trained + c.dropped + c.rejected);
    }
  });

  it('rejects bad options naming the field', () => {
    expect(() => new ExampleQueue({ capacity: 0, policy: 'block' })).toThrow('Expected `queue.capacity` an integer ≥ 1, got 0');
    expect(() => new ExampleQueue({ capacity: 2, policy: 'lifo' as never })).toThrow('Expected `queue.policy` one of block, dropOldest, dropNewest, sample, got "lifo"');
  });
});
