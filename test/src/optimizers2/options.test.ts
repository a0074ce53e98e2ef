import { describe, expect, it } from 'vitest';
import {
  adafactor,
  clipByBlockRms,
  lamb,
  lars,
  lion,
  muon,
  RxgradError,
  scaleByMuon,
  scheduleFreeAdamw,
  scheduleFreeSgd,
} from '../../../src/index';

describe('options of the optimizers after Adam are validated when built', () => {
  const cases: [string, () => unknown, string][] = [
    ['lion beta1 1', () => lion({ beta1: 1 }), 'Expected `beta1` in [0, 1), got 1'],
    ['lion snake_case', () => lion({ weight_decay: 0.1 } as never), "Expected `options.weight_decay` one of lion's options (lr, beta1, beta2, weightDecay), got an unknown option"],
    ['lamb eps −1', () => lamb({ eps: -1 }), 'Expected `eps` ≥ 0, got -1'],
    ['lars nesterov without momentum', () => lars({ momentum: 0, nesterov: true }), 'Expected `nesterov` to come with momentum > 0 and dampening 0, got momentum 0, dampening 0'],
    ['lars trustCoefficient −1', () => lars({ trustCoefficient: -1 }), 'Expected `trustCoefficient` ≥ 0, got -1'],
    ['adafactor minDimSizeToFactor 0', () => adafactor({ minDimSizeToFactor: 0 }), 'Expected `minDimSizeToFactor` an integer ≥ 1, got 0'],
    ['adafactor clippingThreshold 0', () => adafactor({ clippingThreshold: 0 }), 'Expected `clippingThreshold` > 0, got 0'],
    ['clipByBlockRms −1', () => clipByBlockRms(-1), 'Expected `clippingThreshold` > 0, got -1'],
    ['scheduleFreeSgd beta1 0 (x = (y − (1−β)z)/β)', () => scheduleFreeSgd({ beta1: 0 }), 'Expected `beta1` in (0, 1], got 0'],
    ['scheduleFreeAdamw beta2 1', () => scheduleFreeAdamw({ beta2: 1 }), 'Expected `beta2` in [0, 1), got 1'],
    ['muon nsSteps 0', () => muon({ nsSteps: 0 }), 'Expected `nsSteps` an integer ≥ 1, got 0'],
    ['muon adamBeta2 1.5', () => muon({ adamBeta2: 1.5 }), 'Expected `adamBeta2` in [0, 1), got 1.5'],
    ['scaleByMuon nesterov "yes"', () => scaleByMuon({ nesterov: 'yes' as never }), 'Expected `nesterov` a boolean, got "yes"'],
  ];
  for (const [what, build, message] of cases) {
    it(`${what}: ${message}`, () => {
      expect(build).toThrow(RxgradError);
      expect(build).toThrow(message);
    });
  }
});
