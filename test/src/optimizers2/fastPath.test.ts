import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { adafactor, lamb, lars, linearRegression, lion, muon, scheduleFreeAdamw, scheduleFreeSgd, type Transform } from '../../../src/index';
import { airfoil, applyUpdates, gradients, minibatches, optimize } from '../../../streams/index';
import { expectNoLeak } from '../../helpers';
import { expectClose } from '../helpers';

const OPTIMIZERS: Record<string, () => Transform<any>> = {
  lion: () => lion({ lr: 3e-3 }),
  lamb: () => lamb({ lr: 0.05, weightDecay: 0.01 }),
  lars: () => lars({ lr: 20, weightDecay: 1e-4 }),
  adafactor: () => adafactor({ minDimSizeToFactor: 1 }),
  scheduleFreeSgd: () => scheduleFreeSgd({ lr: 0.05 }),
  scheduleFreeAdamw: () => scheduleFreeAdamw({ lr: 0.05 }),
  muon: () => muon({ lr: 0.1, adamLr: 0.02 }),
};

describe('the optimizers after Adam on the fast path (analytic gradients) and on autodiff', () => {
  for (const [name, make] of Object.entries(OPTIMIZERS)) {
    it(`${name}: 60 airfoil steps give the same losses and parameters on both paths (1e-5 of their scale), without leaks`, async () => {
      const data = airfoil();
      const run = async (fast: boolean) => {
        const model = linearRegression(5, { seed: 1 });
        const rs = await lastValueFrom(
          minibatches(data, { batchSize: 10, shuffle: true, seed: 3 }).pipe(gradients(model.loss, model.params, { fast }), optimize(make()), applyUpdates(model.params), take(60), toArray()),
        );
        const values = [...model.params.w.dataSync(), ...model.params.b.dataSync()];
        model.dispose();
        return { losses: rs.map((r) => r.loss), values };
      };
      await expectNoLeak(async () => {
        const fast = await run(true);
        const slow = await run(false);
        expect(fast.losses).toHaveLength(60);
        expectClose(fast.losses, slow.losses, `${name} losses`, 1e-5, 1e-7);
        // To 1e-5 of the parameters' scale (Newton–Schulz amplifies float32 rounding of the gradient).
        const scale = Math.max(...slow.values.map(Math.abs));
        expectClose(fast.values, slow.values, `${name} parameters`, 1e-5, 1e-5 * scale);
      });
    });
  }
});
