import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  constantFactor,
  cosine,
  cosineWarmRestarts,
  cyclic,
  exponential,
  lambdaSchedule,
  linear,
  multiStep,
  oneCycle,
  perEpoch,
  plateau,
  polynomial,
  product,
  sequence,
  stepDecay,
  type Schedule,
} from '../../../src/index';

// PyTorch 1.13 float64 references (test/fixtures/torch_reference.md): the learning rate in force
// at each of 60 steps, base lr 0.1, the scheduler stepped once after every optimizer step. So
// value[i] is the lr at rxgrad step t = i + 1 (PyTorch's last_epoch e = i).
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/torch_reference.json', import.meta.url), 'utf8')) as {
  schedulers: Record<string, number[]>;
  plateau_metric: number[];
};

/** |a − b| ≤ 1e-9 · |b| (so an exact 0 must be 0). */
function expectRelClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]) > 1e-9 * Math.abs(expected[i])) {
      throw new Error(`value ${i} (step ${i + 1}): got ${a}, expected ${expected[i]}`);
    }
  });
}

const steps = Array.from({ length: 60 }, (_, i) => i + 1);
const run = (s: Schedule, epochOf: (t: number) => number | undefined = () => undefined) => steps.map((t) => s(t, epochOf(t)));

// Each PyTorch configuration, written the rxgrad way.
const table: Record<string, Schedule> = {
  step: stepDecay({ base: 0.1, stepSize: 10, gamma: 0.5 }),
  multistep: multiStep({ base: 0.1, milestones: [5, 20, 40], gamma: 0.1 }),
  exponential: exponential({ base: 0.1, gamma: 0.95 }),
  constant: constantFactor({ base: 0.1, factor: 0.5, totalIters: 8 }),
  linear: linear({ base: 0.1, startFactor: 0.1, endFactor: 1.0, totalIters: 10 }),
  polynomial: polynomial({ base: 0.1, totalIters: 40, power: 2 }),
  cosine: cosine({ base: 0.1, tMax: 30, etaMin: 0.001 }),
  cosine_warm_restarts: cosineWarmRestarts({ base: 0.1, t0: 10, tMult: 2, etaMin: 0.001 }),
  cyclic_triangular: cyclic({ base: 0.01, peak: 0.1, stepSizeUp: 5 }),
  cyclic_triangular2: cyclic({ base: 0.01, peak: 0.1, stepSizeUp: 5, mode: 'triangular2' }),
  onecycle_cos: oneCycle({ peak: 0.5, totalSteps: 60 }),
  onecycle_linear_three_phase: oneCycle({ peak: 0.5, totalSteps: 60, anneal: 'linear', threePhase: true }),
  sequential_warmup_cosine: sequence([linear({ base: 0.1, startFactor: 0.01, totalIters: 10 }), cosine({ base: 0.1, tMax: 50 })], [10]),
  chained_exp_step: product(exponential({ base: 0.1, gamma: 0.98 }), stepDecay({ base: 1, stepSize: 15, gamma: 0.5 })),
  lambda_d2l_per_epoch_div10: lambdaSchedule({ base: 0.1, lambda: (e) => 0.1 ** Math.floor(e / 15) }),
};

describe('schedules against PyTorch (torch_reference.json, 1e-9 relative)', () => {
  it('covers every configuration of the fixture', () => {
    expect(Object.keys(fixture.schedulers).sort()).toEqual([...Object.keys(table), 'plateau'].sort());
  });

  for (const [name, schedule] of Object.entries(table)) {
    it(name, () => expectRelClose(run(schedule), fixture.schedulers[name]));
  }

  it('lambda_d2l_per_epoch_div10 as an epoch schedule: perEpoch(÷10 per epoch), 15 steps an epoch', () => {
    // PyTorch's lambda e: 0.1 ** (e // 15) stepped per step is "divide by 10 every 15 steps";
    // with 15-step epochs, epoch(t) = ⌊(t − 1)/15⌋ + 1 and the epoch schedule is 0.1 · 0.1^(epoch − 1).
    const s = perEpoch(exponential({ base: 0.1, gamma: 0.1 }));
    expectRelClose(run(s, (t) => Math.floor((t - 1) / 15) + 1), fixture.schedulers.lambda_d2l_per_epoch_div10);
  });

  it('plateau: ReduceLROnPlateau(min, factor 0.5, patience 3, threshold 1e-4) fed plateau_metric[i] after step i', () => {
    const p = plateau({ mode: 'min', factor: 0.5, patience: 3, threshold: 1e-4, initial: 0.1 });
    let state = p.init();
    const values: number[] = [];
    for (let i = 0; i < 60; i++) {
      values.push(state.value); // in force at step i + 1
      state = p.update(state, fixture.plateau_metric[i]);
    }
    expectRelClose(values, fixture.schedulers.plateau);
  });
});
