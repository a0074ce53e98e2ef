import { RxgradError } from '../RxgradError';
import { inRange, positiveInt } from '../validate';

/** Bounds of a `PendingStore`: entries older than `ttlMs` expire, and at most `cap` are kept. */
export interface PendingBounds {
  /** Age (in the store's clock, ms) after which an entry expires; `Infinity` for never. */
  readonly ttlMs: number;
  /** Most entries kept; adding one more expires the oldest. */
  readonly cap: number;
}

/** One waiting entry: its key, when it was stored, when it is due (null: when its label comes), and its data. */
export interface PendingEntry<V> {
  readonly key: string | number;
  /** The store's clock when the entry was added (what its TTL counts from). */
  readonly time: number;
  /** When its answer is due (`releaseDue`), or `null` for an entry that waits to be `take`n. */
  readonly due: number | null;
  readonly value: V;
}

/** A `PendingStore`'s whole state, JSON-able when the values are. */
export interface PendingState<V> {
  /** Entries in insertion order. */
  readonly entries: readonly PendingEntry<V>[];
  /** The newest time seen (never decreases); null before any. */
  readonly clock: number | null;
  /** Entries expired so far (TTL, cap, or replaced by an entry with the same key). */
  readonly expired: number;
}

/**
 * Check `{ ttlMs, cap }`, filling the defaults (no TTL, 100 000 entries).
 *
 * @example
 * pendingBounds({ ttlMs: 60_000 }); // { ttlMs: 60000, cap: 100000 }
 */
export function pendingBounds(options: Partial<PendingBounds> = {}): PendingBounds {
  if (options === null || typeof options !== 'object') throw new RxgradError('pending', 'an object { ttlMs?, cap? }', options);
  const ttlMs = options.ttlMs ?? Infinity;
  if (ttlMs !== Infinity) inRange('pending.ttlMs', ttlMs, { min: 0, minOpen: true });
  return { ttlMs, cap: positiveInt('pending.cap', options.cap ?? 100_000) };
}

/**
 * Entries waiting for something — a prediction for its label, an answer for its time — keyed,
 * in insertion order, bounded. Pure and synchronous; its state is JSON-able when the values are.
 *
 * 1. `add(key, time, due, value)` moves the clock to max(clock, time) and appends the entry,
 *    stamped with the clock. An entry already under `key` is dropped first (counted expired);
 *    then, while more than `cap` entries are held, the oldest expires.
 * 2. `expire(now)` moves the clock to max(clock, now) and expires, oldest first, every entry
 *    with clock − entry.time > ttlMs. Expiries are counted in `expired`.
 * 3. `take(key)` removes and returns the entry under `key`.
 * 4. `releaseDue(t, each)` removes the entries at the head whose `due` ≤ t and hands each to
 *    `each`, in insertion order, stopping at the first that is not due (River's `simulate_qa`
 *    queue for a constant delay).
 * 5. `drain()` removes and returns every entry in insertion order.
 *
 * @example
 * const store = new PendingStore<string>({ ttlMs: 1000, cap: 2 });
 * store.add('a', 0, null, 'x');
 * store.expire(1500); // 'a' is 1500 ms old: expired
 * store.expired; // 1
 */
export class PendingStore<V> {
  private readonly map = new Map<string | number, PendingEntry<V>>();
  private clockValue: number;
  private expiredCount: number;

  constructor(
    private readonly bounds: PendingBounds,
    state?: PendingState<V>,
  ) {
    this.clockValue = state?.clock ?? -Infinity;
    this.expiredCount = state?.expired ?? 0;
    for (const e of state?.entries ?? []) this.map.set(e.key, e);
  }

  /** Entries held now. */
  get size(): number {
    return this.map.size;
  }

  /** Entries expired so far. */
  get expired(): number {
    return this.expiredCount;
  }

  add(key: string | number, time: number, due: number | null, value: V): void {
    if (time > this.clockValue) this.clockValue = time;
    if (this.map.delete(key)) this.expiredCount++;
    this.map.set(key, { key, time: this.clockValue, due, value });
    while (this.map.size > this.bounds.cap) this.dropOldest();
  }

  expire(now: number): void {
    if (now > this.clockValue) this.clockValue = now;
    if (this.bounds.ttlMs === Infinity) return;
    for (const e of this.map.values()) {
      if (this.clockValue - e.time <= this.bounds.ttlMs) break;
      this.dropOldest();
    }
  }

  take(key: string | number): PendingEntry<V> | undefined {
    const e = this.map.get(key);
    if (e) this.map.delete(key);
    return e;
  }

  releaseDue(t: number, each: (entry: PendingEntry<V>) => void): void {
    for (const e of this.map.values()) {
      if (e.due === null || e.due > t) break;
      this.map.delete(e.key);
      each(e);
    }
  }

  drain(): PendingEntry<V>[] {
    const all = [...this.map.values()];
    this.map.clear();
    return all;
  }

  /** The state as JSON-able data (a copy: later changes to the store do not reach it). */
  save(): PendingState<V> {
    return { entries: [...this.map.values()], clock: this.clockValue === -Infinity ? null : this.clockValue, expired: this.expiredCount };
  }

  private dropOldest(): void {
    const first = this.map.keys().next();
    if (!first.done) {
      this.map.delete(first.value);
      this.expiredCount++;
    }
  }
}
