import { describe, expect, it } from 'vitest';
import { benchOptimizers, PAIRS } from '../../bench/optimizers';

// The short CI version of `npm run bench`'s optimizer table: it runs, every figure is a time. Timing is never asserted.
describe('bench: one optimizer update against tf.train.*', () => {
  it('times every pair (centred RMSprop included: its state stays regular under the alternating gradients)', async () => {
    const rows = await benchOptimizers(1, [1e3]);
    expect(rows.map((r) => r.name)).toEqual(PAIRS.map((p) => p.name));
    for (const r of rows) for (const v of [r.rxgrad, r.chain, r.tfjs, r.ratio]) expect(v).toBeGreaterThan(0);
  });
});
