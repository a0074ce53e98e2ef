import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { addUpdates, disposeTree, FUSED_BACKENDS, fusedMode, RxgradError, useFused, type Tensors, type Transform } from '../../src/index';
import { bits } from '../src/helpers';
import { FUSED_CONFIGS, randomGrads, randomParams } from './configs';

/**
 * The tfjs kernels an update runs. The fused path runs none (it reads values and wraps new
 * arrays in tensors); the chain runs its tensor ops (Multiply, Add, …).
 */
async function kernelsOf(opt: Transform<any>, params: Tensors = randomParams()): Promise<string[]> {
  const g = randomGrads(params)(1);
  const state = opt.init(params);
  let result: unknown;
  const info = await tf.profile(() => {
    result = opt.update(g, state, params, { step: 1 });
  });
  disposeTree([params, g, state, result]);
  return info.kernelNames;
}

async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(name);
  await tf.ready();
  try {
    return await fn();
  } finally {
    await tf.setBackend(before);
  }
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('which path an update takes', () => {
  it("'auto' takes the fused kernels on cpu at any size, on wasm up to 2,048 values, elsewhere never", async () => {
    expect(tf.getBackend()).toBe('cpu');
    expect(FUSED_BACKENDS).toEqual({ cpu: Infinity, wasm: 2048 });
    expect(useFused('auto', 1e9)).toBe(true);
    expect(useFused(false, 1)).toBe(false);
    expect(useFused(true, 1e9)).toBe(true);
    await onBackend('wasm', async () => {
      expect(useFused('auto', 2048)).toBe(true);
      expect(useFused('auto', 2049)).toBe(false);
      expect(useFused(true, 1e9)).toBe(true);
    });
  });

  /** 27 values (randomParams) and 3,000 values: either side of wasm's limit. */
  const large = (): Tensors => ({ a: tf.ones([30, 50]), b: tf.ones([1500]) });

  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    it(`${name}: on cpu, 'auto' and true run no tfjs kernel, at any size; false runs the chain's`, async () => {
      expect(await kernelsOf(make('auto'))).toEqual([]);
      expect(await kernelsOf(make('auto'), large())).toEqual([]);
      expect(await kernelsOf(make(true))).toEqual([]);
      expect(await kernelsOf(make(false))).toContain('Multiply');
    });

    it(`${name}: on wasm, 'auto' runs the fused kernels for 27 values and the chain for 3,000; true always the kernels`, async () => {
      await onBackend('wasm', async () => {
        expect(await kernelsOf(make('auto'))).toEqual([]);
        expect(await kernelsOf(make('auto'), large())).toContain('Multiply');
        expect(await kernelsOf(make(true), large())).toEqual([]);
        expect(await kernelsOf(make(false))).toContain('Multiply');
      });
    });
  }

  it('addUpdates: fused on cpu, tf.add elsewhere or when forced off, with bit-identical results', async () => {
    const run = async (mode: 'auto' | boolean) => {
      const params = { w: tf.variable(tf.tensor1d([1, 2, 3e-8, -4])) };
      const u = { w: tf.tensor1d([0.1, -2, 1e-8, 1e10]) };
      const info = await tf.profile(() => addUpdates(params, u, mode));
      const out = { kernels: info.kernelNames, bits: bits(params.w) };
      disposeTree([params, u]);
      return out;
    };
    const fused = await run('auto');
    const chain = await run(false);
    expect(fused.kernels).not.toContain('Add');
    expect(chain.kernels).toContain('Add');
    expect(fused.bits).toEqual(chain.bits);
    await onBackend('wasm', async () => {
      expect((await run('auto')).kernels).not.toContain('Add'); // 4 values: fused on wasm too
      expect((await run(false)).kernels).toContain('Add');
    });
  });

  it('the fused option is checked when an optimizer is built', () => {
    expect(fusedMode('auto')).toBe('auto');
    const make = FUSED_CONFIGS.adam as (fused: unknown) => Transform<any>;
    expect(() => make('yes')).toThrow(RxgradError);
    expect(() => make('yes')).toThrow(`Expected \`fused\` true, false or 'auto', got "yes"`);
    expect(() => make(1)).toThrow("Expected `fused` true, false or 'auto', got 1");
  });
});
