import { describe, expect, it } from 'vitest';
import { Subject, tap } from 'rxjs';
import { airfoilRuns, collect } from '../../demo/experiments';
import { expectNoLeak } from '../helpers';

describe('the airfoil Adam run of npm start', () => {
  it('swaps to SGD from the dashboard from the next step on, and shows the optimizer state every 10 steps', async () => {
    const e = airfoilRuns.find((x) => x.name.startsWith('Adam'))!;
    expect(e.optimizers).toEqual(['adam', 'sgd']);
    await expectNoLeak(async () => {
      const optimizer = new Subject<string>();
      const rs = await collect(e.run({ optimizer }).pipe(tap((r) => r.step === 25 && optimizer.next('sgd'))));
      expect(rs.slice(0, 25).every((r) => r.info.optimizer === 0 && r.info.optimizerSince === 0)).toBe(true);
      expect(rs.slice(25).every((r) => r.info.optimizer === 1 && r.info.optimizerSince === 26)).toBe(true);
      const keys = (k: number) => Object.keys(rs[k - 1].info).filter((n) => n.startsWith('inspect.')).sort();
      expect(keys(9)).toEqual([]);
      // Adam (step 20): step sizes and |m̂| per parameter; SGD (step 30): the update ratio only.
      expect(keys(20)).toEqual(['b', 'w'].flatMap((p) => [...['mAbs', 'stepSize'].flatMap((q) => ['p25', 'p5', 'p50', 'p75', 'p95'].map((l) => `inspect.${q}.${p}.${l}`)), `inspect.updateRatio.${p}`]).sort());
      expect(keys(30)).toEqual(['inspect.updateRatio.b', 'inspect.updateRatio.w']);
    });
  });
});
