import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { autoBackend, useBackend } from '../../src/useBackend';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('useBackend', () => {
  it("'auto' is tensorflow when tfjs-node is installed (the check faked: it cannot install here)", async () => {
    expect(await autoBackend(async () => true)).toBe('tensorflow');
  });

  it("'auto' is wasm when tfjs-node is absent and the wasm backend is installed (as here), and initialises it", async () => {
    expect(await autoBackend()).toBe('wasm');
    expect(await autoBackend(async () => false)).toBe('wasm');
    expect(await useBackend('auto')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // It computes there: 1·3 + 2·4 = 11.
    const t = tf.dot(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    expect(t.dataSync()[0]).toBe(11);
    t.dispose();
    expect(await useBackend()).toBe('wasm'); // the default is 'auto'
    expect(await useBackend('cpu')).toBe('cpu');
  });

  it('names the backends it knows when given another, and says how to install tfjs-node', async () => {
    await expect(useBackend('webgl' as never)).rejects.toThrow('Expected `backend` one of auto, cpu, wasm, tensorflow, got "webgl"');
    await expect(useBackend('tensorflow')).rejects.toThrow('npm install @tensorflow/tfjs-node');
    expect(tf.getBackend()).toBe('cpu');
  });
});
