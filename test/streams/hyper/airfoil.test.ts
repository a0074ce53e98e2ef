import { describe, expect, it } from 'vitest';
import { scheduleRuns, trainAirfoil } from '../../../demo/scheduleRuns';
import { airfoil } from '../../../streams/sources/airfoil';
import { expectNoLeak } from '../../helpers';

const data = airfoil();
const run = (name: string) => trainAirfoil(scheduleRuns.find((r) => r.name === name)!, data);

// The book's minibatch SGD runs on airfoil end at a full-data loss of 0.243–0.245; no linear model
// goes below the least-squares optimum 0.24169 (test/demo/chapter7.test.ts).
describe('npm run schedules: the airfoil runs', () => {
  it("the book's exercise: lr 0.05 in epoch 1, 0.005 in epoch 2, final loss in the book's range", async () => {
    await expectNoLeak(async () => {
      const rows = await run('0.05, ÷10 per epoch');
      expect(rows.map((r) => r.examples)).toEqual([300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 3000]);
      for (const r of rows) expect(r.lr).toBe(r.epoch === 1 ? 0.05 : 0.005000000000000001); // 0.05 · 0.1 in float64
      const final = rows[rows.length - 1].info.fullLoss;
      expect(final).toBeGreaterThan(0.2417);
      expect(final).toBeLessThanOrEqual(0.245);
    });
  });

  it('warmup 30 + cosine: the lr ramps, peaks, anneals to ~0, and the final loss is in the book range', async () => {
    const rows = await run('warmup 30 + cosine 0.1');
    // step 30 (300 examples) is the last warmup step: 0.1 · 29/30; step 60: cosine's own step 30 of 270
    expect(rows[0].lr).toBeCloseTo((0.1 * 29) / 30, 12);
    expect(rows[1].lr).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * 29) / 270))) / 2, 12);
    expect(rows[rows.length - 1].lr).toBeLessThan(1e-5);
    const final = rows[rows.length - 1].info.fullLoss;
    expect(final).toBeGreaterThan(0.2417);
    expect(final).toBeLessThanOrEqual(0.245);
  });

  it('cosine × plateau (moving average of the training loss fed back) reduces the rate and converges', async () => {
    const rows = await run('cosine 0.1 × plateau');
    expect(rows.some((r) => r.info['plateau.lr'] < 1)).toBe(true);
    expect(rows[rows.length - 1].info.fullLoss).toBeLessThanOrEqual(0.245);
  });
});
