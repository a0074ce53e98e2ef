import { inRange } from '../validate';
import { PendingStore, type PendingEntry } from './PendingStore';

/** One event of a question-and-answer session: example `i` is asked (features only) or answered (its label revealed). */
export interface QaEvent<T> {
  readonly kind: 'question' | 'answer';
  /** 0-based position of the example in the stream. */
  readonly i: number;
  readonly item: T;
}

/** Options of `simulateQa`. */
export interface SimulateQaOptions<T> {
  /** Time of each example (default its position `i`: a delay then counts examples). */
  readonly moment?: (item: T, i: number) => number;
  /** Constant delay between an example's question and its answer, in the unit of `moment`. */
  readonly delay: number;
}

/**
 * One question at time `t` with a constant `delay`, River's `simulate_qa` rule:
 *
 * 1. every answer whose time has come (due ≤ t) is released first, earliest first, to `answer`;
 * 2. entries older than the store's TTL expire (see `PendingStore.expire`);
 * 3. the question is stored under `key` as due at t + delay, with the value `question()`
 *    returns (called after the answers, so it may depend on them).
 *
 * @example
 * const store = new PendingStore<string>({ ttlMs: Infinity, cap: 100 });
 * askQuestion(store, 0, 2, 'q0', (a) => console.log('answer', a.key), () => 'x0'); // q0 is due at 2
 * askQuestion(store, 2, 2, 'q2', (a) => console.log('answer', a.key), () => 'x2'); // logs "answer q0" first
 */
export function askQuestion<V>(store: PendingStore<V>, t: number, delay: number, key: string | number, answer: (entry: PendingEntry<V>) => void, question: () => V): void {
  store.releaseDue(t, answer);
  store.expire(t);
  store.add(key, t, t + delay, question());
}

/**
 * River's `stream.simulate_qa` for a constant delay: the order in which questions (features)
 * and answers (labels) of a time-ordered stream are met when each label arrives `delay` after
 * its example.
 *
 * 1. For example i at time t = moment(item, i) (default t = i): every answer with
 *    moment + delay ≤ t is revealed first, oldest first; then example i is asked.
 * 2. At the end, every answer still waiting is revealed, oldest first.
 * 3. With the default moment a delay of n ≥ 1 reveals example i's answer just before question
 *    i + n; a delay of 0 acts as 1 (the answer is queued after its question's release pass).
 *
 * @example
 * [...simulateQa(['a', 'b', 'c'], { delay: 1 })].map((e) => `${e.kind[0]}${e.i}`);
 * // ['q0', 'a0', 'q1', 'a1', 'q2', 'a2']
 */
export function* simulateQa<T>(items: Iterable<T>, options: SimulateQaOptions<T>): Generator<QaEvent<T>> {
  const delay = inRange('delay', options.delay, { min: 0 });
  const moment = options.moment ?? ((_: T, i: number) => i);
  const store = new PendingStore<T>({ ttlMs: Infinity, cap: Infinity });
  const events: QaEvent<T>[] = [];
  let i = 0;
  for (const item of items) {
    const at = i;
    askQuestion(
      store,
      moment(item, at),
      delay,
      at,
      (a) => events.push({ kind: 'answer', i: a.key as number, item: a.value }),
      () => item,
    );
    events.push({ kind: 'question', i: at, item });
    yield* events.splice(0);
    i++;
  }
  for (const a of store.drain()) yield { kind: 'answer', i: a.key as number, item: a.value };
}
