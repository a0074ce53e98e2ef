import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sumOfSquaresKernel } from '../../src/kernels/sumOfSquaresKernel';
import { values } from '../../src/kernels/values';
import { sumOfSquaresOf } from '../../src/kernels/wasm/sumOfSquaresOf';
import { mulberry32 } from '../../streams/sources/mulberry32';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

it('Σ t² by hand: [3, 4] → 25; [1, 2, 3, 4, 5] (a multiple of 4 and a tail of 1) → 55; int32 and empty tensors too', () => {
  const ts = [tf.tensor([3, 4]), tf.tensor([1, 2, 3, 4, 5]), tf.tensor([1, 2], [2], 'int32'), tf.zeros([0])];
  expect(ts.map(sumOfSquaresOf)).toEqual([25, 55, 5, 0]);
  tf.dispose(ts);
});

it('equals the JavaScript kernel on the values read back within float64 rounding, at every length 1…67 and 1e5, on wasm (SIMD on the heap) and on cpu (the kernel itself)', async () => {
  const rand = mulberry32(4);
  const lengths = [...Array.from({ length: 67 }, (_, i) => i + 1), 1e5];
  const data = lengths.map((n) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * 10 ** (rand() * 8 - 4)));
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    for (const d of data) {
      const t = tf.tensor(d);
      const ref = sumOfSquaresKernel(values(t));
      const got = sumOfSquaresOf(t);
      if (backend === 'cpu') expect(got).toBe(ref);
      else expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-12 * ref);
      t.dispose();
    }
  }
  await tf.setBackend('wasm');
});

it('a non-finite value gives a non-finite sum (NaN stays NaN, an overflow of float32 squares stays finite in float64)', () => {
  const ts = [tf.tensor([1, NaN, 2, 3, 4]), tf.tensor([3e38, 3e38, 1, 1]), tf.tensor([Infinity, 1])];
  const [nan, big, inf] = ts.map(sumOfSquaresOf);
  expect(nan).toBeNaN();
  expect(big).toBeCloseTo(2 * Math.fround(3e38) ** 2 + 2, -60);
  expect(inf).toBe(Infinity);
  tf.dispose(ts);
});
