import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeTree, serializeState, type Tensors, type Transform, type UpdateContext } from '../../src/index';
import { FUSED_CONFIGS, randomGrads, randomParams } from './configs';

/** The message `fn` throws (or undefined), asserting that it leaves no tensor behind either way. */
function thrown(fn: () => unknown): string | undefined {
  const before = tf.memory().numTensors;
  let message: string | undefined;
  try {
    disposeTree(fn());
  } catch (e) {
    message = (e as Error).message;
  }
  expect(tf.memory().numTensors).toBe(before);
  return message;
}

/** Bad updates, each given the optimizer, a fresh state, parameters and gradients. */
const BAD: Record<string, (opt: Transform<any>, s: unknown, p: Tensors, g: Tensors) => unknown> = {
  'a gradient for an unknown parameter': (opt, s, p, g) => opt.update({ ...g, z: g.a }, s, p),
  'a gradient of the wrong shape': (opt, s, p, g) => opt.update({ ...g, b: g.a }, s, p),
  'a gradient that is not a tensor': (opt, s, p, g) => opt.update({ ...g, b: [1, 2] as unknown as tf.Tensor }, s, p),
  'a gradient that is null': (opt, s, p, g) => opt.update({ ...g, b: null as unknown as tf.Tensor }, s, p),
  'a parameter of the wrong shape': (opt, s, p, g) => opt.update(g, s, { ...p, c: p.a }),
  'no parameters': (opt, s, _p, g) => opt.update(g, s),
  'a negative streamed lr': (opt, s, p, g) => opt.update(g, s, p, { hyper: { lr: -1 } }),
  'every hyperparameter streamed out of range at once (the first in chain order fails)': (opt, s, p, g) =>
    opt.update(g, s, p, { hyper: Object.fromEntries(opt.hyper.map((h) => [h, -1])) }),
  'each hyperparameter streamed as NaN, one at a time': (opt, s, p, g) => {
    const messages = opt.hyper.map((h) => thrown(() => opt.update(g, s, p, { hyper: { [h]: NaN } })));
    throw new Error(messages.join(' | '));
  },
  'streamed momentum 0 with nesterov, or a decay of 1': (opt, s, p, g) => opt.update(g, s, p, { hyper: { momentum: 0, beta1: 1, beta2: 1 } }),
  'an unknown parameter and a bad hyperparameter together': (opt, s, p, g) => opt.update({ z: g.a }, s, p, { hyper: { lr: -1 } } as UpdateContext),
};

describe('the fused path throws exactly the chain errors, and frees everything', () => {
  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    for (const [what, bad] of Object.entries(BAD)) {
      it(`${name}: ${what}`, () => {
        const params = randomParams();
        const g = randomGrads(params)(1);
        const messages = [true, false].map((fused) => {
          const opt = make(fused);
          const s = opt.init(params);
          const before = JSON.stringify(serializeState(s));
          const message = thrown(() => bad(opt, s, params, g));
          expect(JSON.stringify(serializeState(s))).toBe(before); // the state survives a failed update
          disposeTree(s);
          return message;
        });
        expect(messages[0]).toBe(messages[1]);
        disposeTree([params, g]);
      });
    }
  }

  it('the shared cases do throw (a sample of the messages)', () => {
    const params = randomParams();
    const g = randomGrads(params)(1);
    const opt = FUSED_CONFIGS['adam amsgrad + weight decay'](true);
    const s = opt.init(params);
    expect(thrown(() => BAD['a gradient of the wrong shape'](opt, s, params, g))).toBe("Expected `grads.b` shape [7] (the parameter's), got shape [3, 4]");
    expect(thrown(() => BAD['no parameters'](opt, s, params, g))).toBe('Expected `params` the parameters when weightDecay ≠ 0 (u = g + λ·x), got none');
    expect(thrown(() => BAD['an unknown parameter and a bad hyperparameter together'](opt, s, params, g))).toBe(
      "Expected `grads.z` to name a parameter that addDecayedWeights.init() was given (a, b, c), got a gradient for unknown parameter `z`",
    );
    disposeTree([params, g, s]);
  });
});
