import { describe, expect, it } from 'vitest';
import { Subject, tap } from 'rxjs';
import { airfoilRuns, collect, experiments, traces } from '../../demo/experiments';
import { expectNoLeak } from '../helpers';

describe('experiments', () => {
  it('have unique ids and a trace objective or airfoil data each', () => {
    expect(new Set(experiments.map((e) => e.id)).size).toBe(experiments.length);
    for (const e of traces) expect(e.objective?.kind).toBe('quadratic');
    for (const e of airfoilRuns) expect(e.config.data).toContain('airfoil');
  });

  it('take a live learning-rate override from the next step on, visible in the metrics, without leaking', async () => {
    const e = airfoilRuns.find((x) => x.name.startsWith('Adam'))!;
    await expectNoLeak(async () => {
      const lr = new Subject<number>();
      const rs = await collect(e.run({ lr }).pipe(tap((r) => r.step === 5 && lr.next(0.001))));
      expect(rs.slice(0, 5).map((r) => r.lr)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01]);
      expect(new Set(rs.slice(5).map((r) => r.lr))).toEqual(new Set([0.001]));
      expect(rs[5].info['override.lr']).toBe(0.001);
    });
  });

  it('restart with edited hyperparameters', async () => {
    const e = traces.find((x) => x.name.startsWith('Momentum η=0.4'))!;
    const rs = await collect(e.run({ hyper: { lr: 0.2 } }));
    expect(rs[0].hyper).toMatchObject({ lr: 0.2, momentum: 0.5 });
  });
});
