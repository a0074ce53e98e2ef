import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { share } from '../../src/index';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('share', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`${backend}: a second tensor on the same values, without copying them, that outlives the first`, async () => {
      await tf.setBackend(backend);
      const g = tf.tensor2d([[1, 2], [3, 4]]);
      const buffers = tf.memory().numDataBuffers;
      const u = share(g);
      expect(u).not.toBe(g);
      expect(u.shape).toEqual([2, 2]);
      expect(tf.memory().numDataBuffers).toBe(buffers); // no new buffer (clone() makes one on wasm)
      g.dispose();
      expect(u.arraySync()).toEqual([[1, 2], [3, 4]]);
      u.dispose();
      await tf.setBackend('cpu');
    });
  }
});
