import { describe, expect, it } from 'vitest';
import { PendingStore, pendingBounds, type PendingEntry } from '../../src/online/PendingStore';

const keys = <V>(entries: PendingEntry<V>[]) => entries.map((e) => e.key);

describe('PendingStore', () => {
  it('keeps at most cap entries: the oldest expire, counted', () => {
    const s = new PendingStore<number>({ ttlMs: Infinity, cap: 2 });
    s.add('a', 0, null, 1);
    s.add('b', 1, null, 2);
    s.add('c', 2, null, 3);
    expect(s.size).toBe(2);
    expect(s.expired).toBe(1);
    expect(s.take('a')).toBeUndefined();
    expect(keys(s.drain())).toEqual(['b', 'c']);
  });

  it('expires entries older than ttlMs in the clock of the times it saw (strictly older)', () => {
    const s = new PendingStore<number>({ ttlMs: 100, cap: 10 });
    s.add('a', 0, null, 1);
    s.add('b', 50, null, 2);
    s.expire(100); // ages 100 and 50: none is older than 100
    expect(s.size).toBe(2);
    s.expire(120); // ages 120 and 70: a expires
    expect(s.expired).toBe(1);
    expect(s.take('b')?.value).toBe(2);
  });

  it('stamps entries with its clock, which never goes back (late times count from the newest seen)', () => {
    const s = new PendingStore<number>({ ttlMs: 10, cap: 10 });
    s.add('a', 100, null, 1);
    s.add('b', 0, null, 2); // stamped 100, not 0
    expect(s.save().entries.map((e) => e.time)).toEqual([100, 100]);
    s.expire(50); // the clock stays 100
    expect(s.size).toBe(2);
  });

  it('an entry under a key already held replaces it, the old one counted as expired', () => {
    const s = new PendingStore<string>({ ttlMs: Infinity, cap: 10 });
    s.add(7, 0, null, 'old');
    s.add(7, 1, null, 'new');
    expect(s.expired).toBe(1);
    expect(s.take(7)?.value).toBe('new');
    expect(s.size).toBe(0);
  });

  it('releases due entries from the head in insertion order and stops at the first not due', () => {
    const s = new PendingStore<string>({ ttlMs: Infinity, cap: 10 });
    s.add(0, 0, 5, 'a');
    s.add(1, 1, 20, 'b');
    s.add(2, 2, 6, 'c'); // due before b but queued behind it
    const out: PendingEntry<string>[] = [];
    s.releaseDue(10, (e) => out.push(e));
    expect(keys(out)).toEqual([0]);
    s.releaseDue(20, (e) => out.push(e));
    expect(keys(out)).toEqual([0, 1, 2]);
  });

  it('continues identically after a JSON round trip of its state', () => {
    const run = (s: PendingStore<number>) => {
      s.add('d', 30, 40, 4);
      s.expire(45);
      const out: PendingEntry<number>[] = [];
      s.releaseDue(100, (e) => out.push(e));
      return { out: keys(out), expired: s.expired, size: s.size };
    };
    const bounds = { ttlMs: 25, cap: 3 };
    const a = new PendingStore<number>(bounds);
    a.add('a', 0, 10, 1);
    a.add('b', 10, 20, 2);
    a.add('c', 20, null, 3);
    const b = new PendingStore<number>(bounds, JSON.parse(JSON.stringify(a.save())));
    // From the same state: d joins (4 > cap 3: a expires); at clock 45 b (age 35 > 25) expires,
    // c (age 25) stays; c heads the queue with due null, so nothing is released.
    expect(run(b)).toEqual({ out: [], expired: 2, size: 2 });
    expect(run(a)).toEqual({ out: [], expired: 2, size: 2 });
  });

  it('save() is a copy: later changes do not reach it', () => {
    const s = new PendingStore<number>({ ttlMs: Infinity, cap: 10 });
    s.add('a', 0, null, 1);
    const saved = s.save();
    s.add('b', 1, null, 2);
    expect(saved.entries).toHaveLength(1);
  });

  it('checks its bounds: default no TTL and 100 000; bad values named', () => {
    expect(pendingBounds()).toEqual({ ttlMs: Infinity, cap: 100_000 });
    expect(() => pendingBounds({ cap: 0 })).toThrow('Expected `pending.cap` an integer ≥ 1, got 0');
    expect(() => pendingBounds({ ttlMs: -5 })).toThrow('Expected `pending.ttlMs` > 0, got -5');
  });
});
