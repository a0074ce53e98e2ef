import { describe, expect, it } from 'vitest';
import { simulateQa } from '../../src/online/simulateQa';

/** The events as River prints them: `q3` for question 3, `a3` for its answer. */
const order = <T>(items: T[], options: Parameters<typeof simulateQa<T>>[1]) => [...simulateQa(items, options)].map((e) => `${e.kind[0]}${e.i}`);

// River's loop (river/stream/qa.py): for example i at time t, pop every memento with
// t_expire ≤ t (stop at the first with t_expire > t), then queue (i, t + delay) and ask i;
// at the end yield every memento left. With a constant delay the queue is a FIFO (append).
describe('simulateQa (River stream.simulate_qa, constant delay)', () => {
  it('delay 1 by position: each answer just before the next question; the last flushed', () => {
    // t = i: memento 0 expires at 1 ≤ 1 → released before question 1, and so on.
    expect(order(['a', 'b', 'c'], { delay: 1 })).toEqual(['q0', 'a0', 'q1', 'a1', 'q2', 'a2']);
  });

  it('delay 0 acts as 1 (the memento is queued after the release pass of its own question)', () => {
    expect(order(['a', 'b', 'c'], { delay: 0 })).toEqual(['q0', 'a0', 'q1', 'a1', 'q2', 'a2']);
  });

  it('delay 2 by position: answer i before question i + 2; two flushed at the end', () => {
    // expiries 2, 3, 4, 5, 6: at t = 2 release 0; t = 3 release 1; t = 4 release 2; end: 3, 4.
    expect(order([0, 1, 2, 3, 4], { delay: 2 })).toEqual(['q0', 'q1', 'a0', 'q2', 'a1', 'q3', 'a2', 'q4', 'a3', 'a4']);
  });

  it("the taxi timetable of River's docstring with a constant 15-minute delay", () => {
    // Departures (minutes after 20:00) 0, 10, 20, 45, 50, 55; arrivals 15, 25, 35, 60, 65, 70.
    // t=0 q0 | t=10 q1 | t=20: 15 ≤ 20 → a0, q2 | t=45: 25, 35 ≤ 45 → a1, a2, q3 | t=50: 60 > 50 → q4 |
    // t=55 → q5 | end: a3, a4, a5.
    const departures = [0, 10, 20, 45, 50, 55];
    expect(order(departures, { delay: 15, moment: (t) => t })).toEqual(['q0', 'q1', 'a0', 'q2', 'a1', 'a2', 'q3', 'q4', 'q5', 'a3', 'a4', 'a5']);
  });

  it('an answer due exactly at a question is released before it (t_expire > t stops, = does not)', () => {
    expect(order([0, 10], { delay: 10, moment: (t) => t })).toEqual(['q0', 'a0', 'q1', 'a1']);
  });

  it('out-of-order times keep the FIFO of a constant delay: the head blocks later-due answers', () => {
    // t=0: queue 0 (due 10) | t=30: 10 ≤ 30 → a0; queue 1 (due 40) | t=5: head due 40 > 5 → q2 (due 15) | end: a1, a2.
    expect(order([0, 30, 5], { delay: 10, moment: (t) => t })).toEqual(['q0', 'a0', 'q1', 'q2', 'a1', 'a2']);
  });

  it('yields the items themselves', () => {
    expect([...simulateQa(['x'], { delay: 1 })]).toEqual([
      { kind: 'question', i: 0, item: 'x' },
      { kind: 'answer', i: 0, item: 'x' },
    ]);
  });

  it('rejects a negative or non-finite delay, naming it', () => {
    expect(() => [...simulateQa([1], { delay: -1 })]).toThrow('Expected `delay` ≥ 0, got -1');
    expect(() => [...simulateQa([1], { delay: NaN })]).toThrow('Expected `delay` ≥ 0, got NaN');
  });
});
