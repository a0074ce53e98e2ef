import type { StepResult } from '../../streams/Step';

/** A plain StepResult for step `step` (loss 1/step, lr 0.1), for sink tests that need no training. */
export function fakeResult(step: number, over: Partial<StepResult> = {}): StepResult {
  return {
    step,
    epoch: 1,
    loss: 1 / step,
    lr: 0.1,
    hyper: { lr: 0.1 },
    gradNorm: 1,
    updateNorm: 0.1,
    size: 1,
    examples: step,
    time: 0.1,
    wallTime: 1_700_000_000_000 + step,
    info: {},
    ...over,
  };
}
