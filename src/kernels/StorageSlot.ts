import * as tf from '@tensorflow/tfjs';
import { ownValues } from './values';
import { isArenaBuffer } from './wasm/simdKernels';

/** The cpu backend's record of one storage (tfjs-backend-cpu's `TensorData`). */
interface CpuEntry {
  values: unknown;
  readonly refCount: number;
}

/** The cpu backend's table of records (its `DataStorage`). */
interface CpuBackend {
  readonly data: { get(dataId: object): CpuEntry | undefined };
}

/**
 * One parameter's own storage across the steps of a training loop, checked in O(1) and
 * replaceable in O(1):
 *
 * 1. `own(t)` is `ownValues(t)` (on `cpu`, float32, no other tensor sharing the storage) for a
 *    storage that is a whole buffer of the JavaScript heap (not a SIMD arena's region), else
 *    `undefined`. The first call for a storage reads it as `ownValues` does and remembers the
 *    backend's record of it; later calls for the same tensor storage on the same backend only
 *    check that record (reference count 1, the same array): no `dataSync`, no lookup. A record
 *    the backend dropped no longer says 1: a dispose, and a move to another backend
 *    (`disposeData(dataId, true)`), decrement its count before deleting it.
 * 2. `swap(next)`, after `own(t)` returned an array: makes `next` (an array of the same length
 *    that nothing else holds) the tensor's storage, without a copy, and returns the array it
 *    replaces, which the caller may then reuse (nothing else holds it: `own` checked that no other
 *    tensor shares it). An array got from `dataSync()` before the swap is the replaced one: it
 *    holds the old values only until the caller writes into it (unlike after `assign`).
 * 3. What it cannot see: the cpu backend's `slice` (and `split`, `unstack`, which slice) of a
 *    contiguous region returns a tensor whose storage is a view into its input's array, counted
 *    on a record of its own (the input's count stays 1). A slice of a parameter held across
 *    steps therefore reads the array a later step writes (as with `ownValues`' in-place writes
 *    and `addUpdates`' spares): copy what must outlive a step (`Float32Array.from(s.dataSync())`,
 *    or `s.add(0)`).
 * 4. `swaps`: how many times `swap` replaced the storage through this slot. Every swap of a
 *    tensor's storage goes through its `StorageSlot.of` slot (`addUpdates`, `arrayTrainer`), and
 *    nothing else changes the values under one dataId: (dataId, `StorageSlot.of(t).swaps`) names
 *    them, even where a later swap brings an earlier array back (`addUpdates`' spares). `stageSum`
 *    records it.
 *
 * @example
 * const slot = new StorageSlot();
 * const t = tf.zeros([3]);
 * const w = tf.variable(t);
 * slot.own(w);                                    // undefined: t shares the storage
 * t.dispose();
 * const x = slot.own(w)!;                         // w's storage
 * const old = slot.swap(Float32Array.of(1, 2, 3)); // old === x; w now holds [1, 2, 3]
 */
export class StorageSlot {
  /** The slot every reader of a tensor shares (`StorageSlot.of`). */
  private static readonly shared = new WeakMap<tf.Tensor, StorageSlot>();

  /**
   * The one slot of `t` that every reader of its storage shares (a training step and a scorer of
   * the same parameter): a swap through it is what the others' next `own` answers, in O(1).
   *
   * @example
   * StorageSlot.of(w) === StorageSlot.of(w); // true
   */
  static of(t: tf.Tensor): StorageSlot {
    let slot = StorageSlot.shared.get(t);
    if (slot === undefined) StorageSlot.shared.set(t, (slot = new StorageSlot()));
    return slot;
  }

  /**
   * Whether `v` can be a slot's storage (what `own` answers, what `swap` may take): a whole
   * buffer of the JavaScript heap, neither a view into a larger array nor a SIMD arena's region.
   *
   * @example
   * StorageSlot.swappable(new Float32Array(4));               // true
   * StorageSlot.swappable(new Float32Array(4).subarray(1));   // false
   */
  static swappable(v: Float32Array): boolean {
    return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !isArenaBuffer(v.buffer);
  }

  private swapCount = 0;

  private backend: object | undefined;
  private dataId: object | undefined;
  private entry: CpuEntry | undefined;
  private values: Float32Array | undefined;

  own(t: tf.Tensor): Float32Array | undefined {
    const backend = tf.engine().backend as unknown as CpuBackend;
    const e = this.entry;
    if (e !== undefined && backend === this.backend && t.dataId === this.dataId && e.refCount === 1 && e.values === this.values) return this.values;
    this.entry = undefined;
    const v = ownValues(t);
    if (v === undefined || !StorageSlot.swappable(v)) return undefined;
    const entry = backend.data.get(t.dataId);
    if (entry === undefined || entry.values !== v) return undefined;
    this.backend = backend;
    this.dataId = t.dataId;
    this.entry = entry;
    return (this.values = v);
  }

  /** See 4. */
  get swaps(): number {
    return this.swapCount;
  }

  swap(next: Float32Array): Float32Array {
    const old = this.values!;
    this.swapCount++;
    this.entry!.values = next;
    this.values = next;
    return old;
  }
}
