import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageSlot } from '../../src/kernels/StorageSlot';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** A variable that owns its storage (the tensor it is made from is freed). */
function variable(values: number[]): tf.Variable {
  const t = tf.tensor(values);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

describe('StorageSlot: a parameter’s own storage, checked and swapped in O(1)', () => {
  it('own(t) is the tensor’s storage; swap(next) makes next its storage and returns the old array', () => {
    const w = variable([1, 2, 3]);
    const slot = new StorageSlot();
    const own = slot.own(w)!;
    expect(own).toBe(w.dataSync());
    expect(slot.own(w)).toBe(own); // answered again without reading
    const next = Float32Array.of(4, 5, 6);
    expect(slot.swap(next)).toBe(own);
    expect(w.dataSync()).toBe(next);
    expect(Array.from(w.dataSync())).toEqual([4, 5, 6]);
    expect(slot.own(w)).toBe(next);
    expect(w.add(1).arraySync()).toEqual([5, 6, 7]); // tfjs ops see the new values
    w.dispose();
  });

  it('StorageSlot.of(t) is one slot per tensor: a swap through it is what every reader sees next', () => {
    const w = variable([1, 2]);
    const trainer = StorageSlot.of(w);
    const scorer = StorageSlot.of(w);
    expect(scorer).toBe(trainer);
    const other = variable([0]);
    expect(StorageSlot.of(other)).not.toBe(trainer);
    other.dispose();
    const before = scorer.own(w)!;
    trainer.own(w);
    const next = Float32Array.of(3, 4);
    expect(trainer.swap(next)).toBe(before);
    expect(scorer.own(w)).toBe(next);
    expect(Array.from(w.dataSync())).toEqual([3, 4]);
    w.dispose();
  });

  it('undefined while another tensor shares the storage, own again once it is freed', () => {
    const w = variable([1, 2]);
    const slot = new StorageSlot();
    expect(slot.own(w)).toBeDefined();
    const c = w.clone();
    expect(slot.own(w)).toBeUndefined();
    c.dispose();
    expect(slot.own(w)).toBe(w.dataSync());
    w.dispose();
  });

  it('follows an assignment (a new storage) and refuses a disposed tensor', () => {
    const w = variable([1, 2]);
    const slot = new StorageSlot();
    const first = slot.own(w)!;
    const t = tf.tensor([7, 8]);
    w.assign(t);
    t.dispose();
    const second = slot.own(w)!;
    expect(second).not.toBe(first);
    expect(Array.from(second)).toEqual([7, 8]);
    w.dispose();
    expect(slot.own(w)).toBeUndefined();
  });

  it('a storage moved to another backend and back is not the one remembered (the backend dropped that record)', async () => {
    const w = variable([1, 2]);
    const slot = new StorageSlot();
    const first = slot.own(w)!;
    await tf.setBackend('wasm');
    tf.tidy(() => w.add(0)); // an op on wasm moves the data there (the cpu record is dropped)
    await tf.setBackend('cpu');
    tf.tidy(() => w.add(0)); // and back, into a new record
    const back = slot.own(w)!;
    expect(back).not.toBe(first);
    expect(Array.from(back)).toEqual([1, 2]);
    expect(back).toBe(w.dataSync());
    w.dispose();
  });

  it('refuses a view into a larger buffer (a slice of another tensor’s storage)', () => {
    const whole = tf.tensor([1, 2, 3, 4]);
    const part = whole.slice([1], [2]);
    const slot = new StorageSlot();
    const v = part.dataSync();
    expect(v.byteLength).toBeLessThan(v.buffer.byteLength); // the cpu backend's slice is a view
    expect(slot.own(part)).toBeUndefined();
    tf.dispose([whole, part]);
  });
});
