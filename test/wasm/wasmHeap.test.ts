import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { values } from '../../src/kernels/values';
import { adoptHeap, heapOffset, heapTensor, heapValues, wasmHeap } from '../../src/kernels/wasm/wasmHeap';
import { endLoans, lendValues, lentValues } from '../../src/kernels/lendValues';
import { SIMD_KERNELS, admitSimd, revokeSimd, simdKernelsFor, simdRunsOn } from '../../src/kernels/wasm/simdKernels';
import { sgdKernelSimd } from '../../src/kernels/wasm/sgdKernelSimd';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('views onto the tfjs-wasm heap (wasmHeap)', () => {
  it('wasmHeap is the wasm backend, and undefined on cpu', async () => {
    expect(wasmHeap()).toBeDefined();
    await tf.setBackend('cpu');
    expect(wasmHeap()).toBeUndefined();
    await tf.setBackend('wasm');
  });

  it('heapValues is the tensor’s own storage: reading it gives the values, writing it changes the tensor', () => {
    const heap = wasmHeap()!;
    const t = tf.tensor([1, 2, 3]);
    const v = heapValues(heap, t)!;
    expect(Array.from(v)).toEqual([1, 2, 3]);
    expect(v.byteOffset).toBe(heapOffset(heap, t));
    v[1] = 20;
    expect(Array.from(t.dataSync())).toEqual([1, 20, 3]);
    const i = tf.tensor([1, 2], [2], 'int32');
    expect(heapValues(heap, i)).toBeUndefined(); // float32 only
    t.dispose();
    i.dispose();
    expect(heapValues(heap, t)).toBeUndefined(); // disposed
  });

  it('a view is detached when the heap grows (length 0): views are taken after allocations', () => {
    const heap = wasmHeap()!;
    const t = tf.tensor([5, 6]);
    const v = heapValues(heap, t)!;
    const before = heap.wasm.HEAPU8.buffer.byteLength;
    const big = tf.zeros([before / 2]); // 2·before bytes: more than the heap holds
    expect(heap.wasm.HEAPU8.buffer.byteLength).toBeGreaterThan(before);
    expect(v.length).toBe(0);
    expect(Array.from(heapValues(heap, t)!)).toEqual([5, 6]);
    tf.dispose([t, big]);
  });

  it('heapTensor and adoptHeap make tensors over heap blocks, freed with the tensor', () => {
    const heap = wasmHeap()!;
    const start = tf.memory().numTensors;
    const u = heapTensor(heap, [2, 2], 32); // 4 values and room for 4 more
    heapValues(heap, u)!.set([1, 2, 3, 4]);
    expect(u.shape).toEqual([2, 2]);
    expect(Array.from(u.dataSync())).toEqual([1, 2, 3, 4]);
    const offset = heap.wasm._malloc(8) >>> 0;
    new Float32Array(heap.wasm.HEAPU8.buffer, offset, 2).set([7, 8]);
    const a = adoptHeap(heap, offset, [2]);
    expect(heapOffset(heap, a)).toBe(offset);
    expect(Array.from(a.dataSync())).toEqual([7, 8]);
    expect(tf.memory().numTensors).toBe(start + 2);
    tf.dispose([u, a]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('lent values: values(t) answers the lent array until endLoans, which empties the map', () => {
    const t = tf.tensor([1, 2]);
    const loans = new Map<tf.Tensor, Float32Array>();
    const view = Float32Array.of(9, 9);
    lendValues(loans);
    try {
      loans.set(t, view);
      expect(values(t)).toBe(view);
      expect(lentValues(t)).toBe(view);
    } finally {
      endLoans();
    }
    expect(loans.size).toBe(0);
    expect(lentValues(t)).toBeUndefined();
    expect(Array.from(values(t))).toEqual([1, 2]);
    t.dispose();
  });
});

describe('the SIMD kernels on the heap’s memory (admitSimd)', () => {
  it('run on views of the heap only while admitted; any length (the tail in JavaScript)', () => {
    const heap = wasmHeap()!;
    const memory = heap.wasm.asm?.memory ?? heap.wasm.wasmMemory;
    expect(memory).toBeDefined();
    expect(simdRunsOn(memory!)).toBe(true);
    const n = 7;
    // x = 1, g = 2, trace = 1, μ = 0.5, τ = 0, η = 0.1: t = 0.5·1 + 2 = 2.5, u = −0.25, x + u = 0.75
    const ts = [tf.fill([n], 2), tf.fill([n], 1), tf.fill([n], 1), tf.zeros([n]), tf.zeros([n])];
    const [g, x, trace, u, next] = ts.map((t) => heapValues(heap, t)!);
    expect(simdKernelsFor([g, x])).toBeUndefined();
    const h = { lr: 0.1, momentum: 0.5, dampening: 0, nesterov: false, weightDecay: 0 };
    expect(admitSimd(memory!)).toBe(true);
    try {
      expect(simdKernelsFor([g, x, trace, u, next])).toBeDefined();
      expect(simdKernelsFor([g, new Float32Array(n)])).toBeUndefined(); // not all on the heap
      expect(sgdKernelSimd(g, x, trace, false, h, { update: u, next })).toBe(0);
    } finally {
      revokeSimd();
    }
    expect(simdKernelsFor([g, x])).toBeUndefined();
    for (const [arr, want] of [
      [trace, 2.5],
      [u, -0.25],
      [next, 0.75],
    ] as const) {
      for (let i = 0; i < n; i++) expect(arr[i]).toBeCloseTo(want, 6);
    }
    expect(SIMD_KERNELS.heapMinSize).toBe(64);
    tf.dispose(ts);
  });
});
