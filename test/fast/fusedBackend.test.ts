import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import { adam } from '../../src/optimizers/adam';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { replay } from '../../streams/sources/replay';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { expectNoLeak } from '../helpers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Eight rows of two features, labels [x₀ > x₁]. */
const table: ExampleTable = { n: 8, d: 2, xs: Float32Array.of(1, 0, 0, 1, 2, 1, 1, 2, 0.5, 0, 0, 0.5, 3, 1, 1, 3), ys: Float32Array.of(1, 0, 1, 0, 1, 0, 1, 0) };

async function run() {
  const m = logisticRegression(2);
  const results = await lastValueFrom(replay(table, { batchSize: 2 }).pipe(gradients(m.loss, m.params), optimize(adam({ lr: 0.1 })), applyUpdates(m.params), toArray()));
  const params = [...m.params.w.dataSync(), ...m.params.b.dataSync()];
  m.dispose();
  return { results, params };
}

describe('the fused path is chosen per subscription, by backend', () => {
  it('the same pipeline runs fused on cpu and on the general path on wasm (parameters stay in the backend), with the same results to 1e-5', async () => {
    await tf.setBackend('cpu');
    const cpu = await run();
    await tf.setBackend('wasm');
    let wasm: Awaited<ReturnType<typeof run>> | undefined;
    await expectNoLeak(async () => {
      wasm = await run();
    });
    await tf.setBackend('cpu');
    expect(cpu.results.every((r) => r.info.fused === 1)).toBe(true);
    expect(wasm!.results.some((r) => r.info.fused === 1)).toBe(false);
    cpu.params.forEach((v, i) => expect(Math.abs(v - wasm!.params[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    cpu.results.forEach((r, i) => expect(Math.abs(r.loss - wasm!.results[i].loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, r.loss)));
  });
});
