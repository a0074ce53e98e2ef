/**
 * The pure parts of the durable source, synchronously: the ledger of sequences in the model,
 * the gate that releases messages in sequence order, and the example message codec.
 */
import { describe, expect, it } from 'vitest';
import { decodeExampleMessage, encodeExampleMessage } from '../../src/online/exampleMessage';
import { SequenceGate } from '../../src/online/SequenceGate';
import { SequenceLedger } from '../../src/online/SequenceLedger';
import { RxgradError } from '../../src/RxgradError';

describe('SequenceLedger', () => {
  it('merges adjacent sequences into ranges whatever the order they come in', () => {
    const l = new SequenceLedger();
    for (const s of [1, 2, 3, 7, 5, 6, 10]) expect(l.add(s)).toBe(true);
    expect(l.ranges()).toEqual([
      [1, 3],
      [5, 7],
      [10, 10],
    ]);
    expect(l.add(4)).toBe(true); // joins [1, 3] and [5, 7]
    expect(l.add(6)).toBe(false); // already there
    expect(l.ranges()).toEqual([
      [1, 7],
      [10, 10],
    ]);
    expect([0, 1, 7, 8, 9, 10, 11].map((s) => l.has(s))).toEqual([false, true, true, false, false, true, false]);
    expect(l.last).toBe(10);
    expect([1, 5, 8, 10].map((s) => l.contiguousTo(s))).toEqual([7, 7, 7, 10]);
  });

  it('a stream read in order is one range, however long', () => {
    const l = new SequenceLedger();
    for (let s = 1; s <= 100_000; s++) l.add(s);
    expect(l.ranges()).toEqual([[1, 100_000]]);
  });

  it('reads back its JSON form, checked, naming the bad range', () => {
    const l = SequenceLedger.from(
      [
        [1, 4],
        [9, 9],
      ],
      'ranges',
    );
    expect([4, 5, 9].map((s) => l.has(s))).toEqual([true, false, true]);
    expect(SequenceLedger.from(undefined, 'ranges').ranges()).toEqual([]);
    const bad: [unknown, string][] = [
      [{}, 'ranges'],
      [[[2, 1]], 'ranges[0]'],
      [[[0, 1]], 'ranges[0]'],
      [
        [
          [1, 4],
          [5, 6],
        ],
        'ranges[1]',
      ], // touching: should have been one range
      [[[1, 2.5]], 'ranges[0]'],
      [['1-2'], 'ranges[0]'],
    ];
    for (const [saved, field] of bad) {
      expect(() => SequenceLedger.from(saved, 'ranges'), JSON.stringify(saved)).toThrow(RxgradError);
      try {
        SequenceLedger.from(saved, 'ranges');
      } catch (e) {
        expect((e as RxgradError).field).toBe(field);
      }
    }
    expect(() => new SequenceLedger().add(0)).toThrow('Expected `seq` a stream sequence');
  });
});

describe('SequenceGate', () => {
  const none = (s: number) => s - 1;

  it('releases in sequence order: a later one waits for the gap before it, a late one passes at once', () => {
    const g = new SequenceGate<string>(1, none);
    expect(g.offer(3, 'c', 0)).toEqual([]);
    expect(g.offer(2, 'b', 1)).toEqual([]);
    expect(g.held).toBe(2);
    expect(g.offer(1, 'a', 2)).toEqual(['a', 'b', 'c']);
    expect(g.next).toBe(4);
    expect(g.offer(4, 'd', 3)).toEqual(['d']);
    // a redelivery of an older, not yet trained one (nak'ed) passes at once
    expect(g.offer(2, 'b again', 4)).toEqual(['b again']);
    expect(g.next).toBe(5);
  });

  it('does not wait for sequences already done (in the ledger)', () => {
    const l = SequenceLedger.from(
      [
        [1, 10],
        [12, 20],
      ],
      'r',
    );
    const g = new SequenceGate<number>(1, (s) => l.contiguousTo(s));
    expect(g.next).toBe(11);
    expect(g.offer(21, 21, 0)).toEqual([]);
    expect(g.offer(11, 11, 0)).toEqual([11, 21]); // 12–20 are done: not waited for
    expect(g.next).toBe(22);
  });

  it('gives up on a gap after the oldest held one waited waitMs, then releases what follows', () => {
    const g = new SequenceGate<number>(1, none);
    g.offer(5, 5, 100);
    g.offer(6, 6, 150);
    g.offer(8, 8, 160);
    expect(g.expire(1099, 1000)).toEqual([]);
    expect(g.expire(1100, 1000)).toEqual([5, 6]);
    expect(g.next).toBe(7);
    expect(g.held).toBe(1);
    expect(g.clear()).toEqual([8]);
    expect(g.held).toBe(0);
    expect(g.expire(1e9, 1)).toEqual([]);
  });
});

describe('example messages', () => {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);

  it('encodes { x, y, id } as JSON, y left out when NaN (no label), float32 values exact', () => {
    expect(text(encodeExampleMessage([0.5, 1], 1, 'a'))).toBe('{"x":[0.5,1],"y":1,"id":"a"}');
    expect(text(encodeExampleMessage(Float32Array.of(0.1), NaN))).toBe(`{"x":[${Math.fround(0.1)}]}`);
    const x = Float32Array.of(0.1, 1 / 3, 1e-7);
    const back = decodeExampleMessage(encodeExampleMessage(x, 0, 7)) as { x: number[]; y: number; id: number };
    expect(Float32Array.from(back.x)).toEqual(x);
    expect([back.y, back.id]).toEqual([0, 7]);
  });

  it('a payload that is not UTF-8 or not JSON throws the reason', () => {
    expect(() => decodeExampleMessage(Uint8Array.of(0xff, 0xfe))).toThrow('Expected `message` UTF-8 text, got 2 bytes that are not UTF-8');
    expect(() => decodeExampleMessage(new TextEncoder().encode('{"x":[1,'))).toThrow('Expected `line` JSON, got "{\\"x\\":[1,"');
  });
});
