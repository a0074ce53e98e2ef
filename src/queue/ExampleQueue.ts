import type { ExampleBatch } from '../ExampleBatch';
import { RxgradError } from '../RxgradError';
import { checkExample, type Example } from '../online/checkExample';
import type { IngestCounts } from '../online/SourcePosition';
import { positiveInt } from '../validate';

/** What a full queue does with one more example. */
export type QueuePolicy = 'block' | 'dropOldest' | 'dropNewest' | 'sample';

/** Every `QueuePolicy`, for validation and help texts. */
export const QUEUE_POLICIES: readonly QueuePolicy[] = ['block', 'dropOldest', 'dropNewest', 'sample'];

/**
 * Check that `value` is a `QueuePolicy`.
 *
 * @example
 * queuePolicy('sample'); // 'sample'
 * queuePolicy('lifo'); // throws "Expected `queue.policy` one of block, dropOldest, dropNewest, sample, got \"lifo\""
 */
export function queuePolicy(value: unknown): QueuePolicy {
  if (!QUEUE_POLICIES.includes(value as QueuePolicy)) throw new RxgradError('queue.policy', `one of ${QUEUE_POLICIES.join(', ')}`, value);
  return value as QueuePolicy;
}

/** Options of `ExampleQueue`. */
export interface ExampleQueueOptions {
  /** Examples held at most. */
  readonly capacity: number;
  /** What happens to an example offered while the queue is full (see `ExampleQueue`). */
  readonly policy: QueuePolicy;
  /** Features per example; default: fixed by the first valid example. */
  readonly features?: number;
  /** A classifier's classes: a label must be an integer in [0, classes) (default: any finite number). */
  readonly classes?: number;
  /** Uniform numbers in [0, 1) for `sample` (a seeded PRNG makes it reproducible); default `Math.random`. */
  readonly random?: () => number;
  /** Counters to continue from (a resumed run's `settled()` and its trained examples); default zeros. */
  readonly counts?: IngestCounts & { readonly trained: number };
}

/** What `offer` did with an example. */
export type OfferOutcome = 'queued' | 'dropped' | 'rejected';

/** The counters a queue keeps (`IngestCounters` without `queued` and `lag`, which are read live). */
interface Counts {
  received: number;
  trained: number;
  dropped: number;
  rejected: number;
  lastReason: string | undefined;
}

/**
 * A bounded FIFO of examples between a push source and training, on preallocated typed arrays
 * (a ring buffer of `capacity` rows), with an explicit overflow policy and counters.
 *
 * 1. `offer(raw, now, mark)` counts the example as received, checks it (`checkExample`, with
 *    `features` and `classes` when given: an invalid one is counted as rejected with its reason
 *    and not queued) and queues it with its
 *    arrival time `now` and a source `mark` (e.g. the byte offset after its line).
 * 2. When the queue already holds `capacity` examples:
 *    - `dropNewest` and `block` drop the offered example (with `block` the source should have
 *      paused at `full`; one it could not pause loses what it still sends);
 *    - `dropOldest` drops the oldest queued example and queues the new one;
 *    - `sample` is reservoir sampling (Vitter's Algorithm R) over the examples offered since the
 *      queue filled: the n-th of them is kept with probability capacity / (capacity + n), in place
 *      of a uniformly chosen queued example. Queued examples stay in arrival order.
 *    Each example lost this way counts as dropped. Memory never exceeds the capacity.
 * 3. `take(max)` removes up to `max` examples from the front as an `ExampleBatch` (fresh typed
 *    arrays; `y` NaN where no label came, `times` the producer's time else the arrival time)
 *    and the mark of its last example; they count as trained.
 * 4. `counters(now)`: received = queued + trained + dropped + rejected, and `lag`, the age of the
 *    oldest queued example (0 when empty). They start from `options.counts` (a resumed run's).
 * 5. `settled()`: the counters up to the last example taken, in arrival order — received and
 *    rejected as they were when it arrived, the last reason then, and dropped = received −
 *    trained − rejected (every input before it has been trained, dropped or rejected). A
 *    checkpoint keeps them with the source's position after that example: a source that reads
 *    again from there (a file) counts what follows again, so a resumed run reports the counters
 *    of an uninterrupted one.
 *
 * @example
 * const q = new ExampleQueue({ capacity: 2, policy: 'dropOldest' });
 * q.offer({ x: [1], y: 0 }, 0); q.offer({ x: [2], y: 1 }, 1); q.offer({ x: [3], y: 1 }, 2);
 * q.take(10).batch.x; // Float32Array [2, 3]
 * q.counters(2); // { received: 3, queued: 0, trained: 2, dropped: 1, rejected: 0, lag: 0 }
 */
export class ExampleQueue {
  readonly capacity: number;
  readonly policy: QueuePolicy;
  private readonly random: () => number;
  private readonly classes: number | undefined;
  private d: number | undefined;
  private x = new Float32Array(0);
  private readonly y: Float32Array;
  private readonly ids: (string | number | undefined)[];
  private readonly times: Float64Array;
  private readonly arrivals: Float64Array;
  private readonly marks: Float64Array;
  /** Per queued example: received, rejected and the last reason when it arrived (for `settled`). */
  private readonly receivedAt: Float64Array;
  private readonly rejectedAt: Float64Array;
  private readonly reasonAt: (string | undefined)[];
  /** `settled()` as of the last example taken (or the counters a resumed queue starts from). */
  private lastTaken: IngestCounts = { received: 0, dropped: 0, rejected: 0 };
  private head = 0;
  private len = 0;
  /** Examples offered since the queue last filled, for `sample`. */
  private overflow = 0;
  private readonly counts: Counts = { received: 0, trained: 0, dropped: 0, rejected: 0, lastReason: undefined };

  constructor(options: ExampleQueueOptions) {
    this.capacity = positiveInt('queue.capacity', options?.capacity);
    this.policy = queuePolicy(options.policy);
    this.random = options.random ?? Math.random;
    this.classes = options.classes === undefined ? undefined : positiveInt('classes', options.classes);
    if (options.counts) {
      const { received, trained, dropped, rejected, lastReason } = options.counts;
      Object.assign(this.counts, { received, trained, dropped, rejected, lastReason });
      this.lastTaken = { received, dropped, rejected, ...(lastReason !== undefined && { lastReason }) };
    }
    if (options.features !== undefined) this.allocate(positiveInt('features', options.features));
    this.y = new Float32Array(this.capacity);
    this.ids = new Array(this.capacity).fill(undefined);
    this.times = new Float64Array(this.capacity);
    this.arrivals = new Float64Array(this.capacity);
    this.marks = new Float64Array(this.capacity);
    this.receivedAt = new Float64Array(this.capacity);
    this.rejectedAt = new Float64Array(this.capacity);
    this.reasonAt = new Array(this.capacity).fill(undefined);
  }

  /** Examples queued now. */
  get length(): number {
    return this.len;
  }

  /** Whether the queue holds `capacity` examples (a `block` source should pause). */
  get full(): boolean {
    return this.len === this.capacity;
  }

  /** Why the last rejected input was rejected. */
  get lastReason(): string | undefined {
    return this.counts.lastReason;
  }

  /** Arrival time of the oldest queued example (undefined when empty). */
  get oldestArrival(): number | undefined {
    return this.len === 0 ? undefined : this.arrivals[this.head];
  }

  /** Count, check and queue one example (see the class). */
  offer(raw: unknown, now: number, mark = NaN): OfferOutcome {
    this.counts.received += 1;
    let e: Example;
    try {
      e = checkExample(raw, this.d, this.classes);
    } catch (err) {
      this.counts.rejected += 1;
      this.counts.lastReason = (err as Error).message;
      return 'rejected';
    }
    if (this.d === undefined) this.allocate(e.x.length);
    if (this.len === this.capacity) {
      this.overflow += 1;
      if (this.policy === 'block' || this.policy === 'dropNewest') return this.drop();
      if (this.policy === 'sample') {
        const j = Math.floor(this.random() * (this.capacity + this.overflow));
        if (j >= this.capacity) return this.drop();
        this.removeAt(j);
      } else this.removeAt(0);
      this.counts.dropped += 1;
    } else this.overflow = 0;
    this.write((this.head + this.len) % this.capacity, e, now, mark);
    this.len += 1;
    return 'queued';
  }

  /** Count one input rejected before it became an example (malformed line …) with its reason. */
  reject(reason: string): void {
    this.counts.received += 1;
    this.counts.rejected += 1;
    this.counts.lastReason = reason;
  }

  /** Remove up to `max` examples from the front (see the class). */
  take(max: number): { readonly batch: ExampleBatch; readonly mark: number } {
    const n = Math.min(max, this.len);
    const d = this.d ?? 0;
    const x = new Float32Array(n * d);
    const y = new Float32Array(n);
    const ids: (string | number | undefined)[] = new Array(n);
    const times = new Float64Array(n);
    let mark = NaN;
    for (let i = 0; i < n; i++) {
      const s = (this.head + i) % this.capacity;
      x.set(this.x.subarray(s * d, s * d + d), i * d);
      y[i] = this.y[s];
      ids[i] = this.ids[s];
      this.ids[s] = undefined;
      times[i] = this.times[s];
      mark = this.marks[s];
    }
    if (n > 0) {
      const s = (this.head + n - 1) % this.capacity;
      const received = this.receivedAt[s];
      const rejected = this.rejectedAt[s];
      const lastReason = this.reasonAt[s];
      const trained = this.counts.trained + n;
      this.lastTaken = { received, dropped: received - trained - rejected, rejected, ...(lastReason !== undefined && { lastReason }) };
    }
    this.head = (this.head + n) % this.capacity;
    this.len -= n;
    this.counts.trained += n;
    return { batch: { n, d, x, y, ids, times }, mark };
  }

  /** The counters (see the class). */
  counters(now: number): { received: number; queued: number; trained: number; dropped: number; rejected: number; lastReason?: string; lag: number } {
    const { received, trained, dropped, rejected, lastReason } = this.counts;
    const oldest = this.oldestArrival;
    return {
      received,
      queued: this.len,
      trained,
      dropped,
      rejected,
      ...(lastReason !== undefined && { lastReason }),
      lag: oldest === undefined ? 0 : Math.max(0, now - oldest),
    };
  }

  /** The counters up to the last example taken (see the class). */
  settled(): IngestCounts {
    return this.lastTaken;
  }

  private allocate(d: number): void {
    this.d = d;
    this.x = new Float32Array(this.capacity * d);
  }

  private drop(): OfferOutcome {
    this.counts.dropped += 1;
    return 'dropped';
  }

  private write(s: number, e: Example, now: number, mark: number): void {
    const d = this.d as number;
    for (let j = 0; j < d; j++) this.x[s * d + j] = e.x[j];
    this.y[s] = e.y == null ? NaN : e.y;
    this.ids[s] = e.id;
    this.times[s] = e.time ?? now;
    this.arrivals[s] = now;
    this.marks[s] = mark;
    this.receivedAt[s] = this.counts.received;
    this.rejectedAt[s] = this.counts.rejected;
    this.reasonAt[s] = this.counts.lastReason;
  }

  /** Remove the i-th queued example, moving the later ones forward (order kept). */
  private removeAt(i: number): void {
    const d = this.d as number;
    const c = this.capacity;
    if (i === 0) {
      this.ids[this.head] = undefined;
      this.head = (this.head + 1) % c;
      this.len -= 1;
      return;
    }
    for (let k = i; k < this.len - 1; k++) {
      const to = (this.head + k) % c;
      const from = (to + 1) % c;
      this.x.copyWithin(to * d, from * d, from * d + d);
      this.y[to] = this.y[from];
      this.ids[to] = this.ids[from];
      this.times[to] = this.times[from];
      this.arrivals[to] = this.arrivals[from];
      this.marks[to] = this.marks[from];
      this.receivedAt[to] = this.receivedAt[from];
      this.rejectedAt[to] = this.rejectedAt[from];
      this.reasonAt[to] = this.reasonAt[from];
    }
    this.ids[(this.head + this.len - 1) % c] = undefined;
    this.len -= 1;
  }
}
