import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { adadelta, adagrad, adam, adamax, adamw, nadam, radam, rmsprop, sgd, type Transform } from '../../src/index';
import { expectClose, trajectory } from './helpers';

interface Reference {
  p0: number[][];
  grads: number[][][];
  optimizers: Record<string, { torch: string; kwargs: Record<string, number | boolean>; params: number[][][] }>;
}

const ref: Reference = JSON.parse(readFileSync(new URL('../fixtures/torch_reference.json', import.meta.url), 'utf8'));

/** PyTorch class → rxgrad optimizer. */
const FACTORIES: Record<string, (o: Record<string, unknown>) => Transform<any>> = {
  SGD: sgd,
  Adagrad: adagrad,
  RMSprop: rmsprop,
  Adadelta: adadelta,
  Adam: adam,
  AdamW: adamw,
  Adamax: adamax,
  'NAdam (2.x rule)': nadam,
  RAdam: radam,
};

/** PyTorch keyword → rxgrad option: snake_case → camelCase (`betas` would split into beta1, beta2). */
function options(kwargs: Record<string, number | boolean | number[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    if (k === 'betas') [out.beta1, out.beta2] = v as number[];
    else out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  return out;
}

/** PyTorch classes whose rxgrad optimizer has a fused kernel (its `fused` option picks the path). */
const FUSED = new Set(['SGD', 'Adagrad', 'RMSprop', 'Adadelta', 'Adam', 'AdamW', 'Adamax']);

it('covers the 17 configurations', () => {
  if (Object.keys(ref.optimizers).length !== 17) throw new Error('expected 17 configurations');
});

// Both paths: the fused kernels (`fused: true`) and the chain of tensor ops (`fused: false`).
for (const fused of [true, false]) {
  describe(`conformance with PyTorch (test/fixtures/torch_reference.json, float64 references), ${fused ? 'fused kernels' : 'chain'}`, () => {
    for (const [name, cfg] of Object.entries(ref.optimizers)) {
      const path = FUSED.has(cfg.torch) ? `fused: ${fused}` : 'chain only';
      it(`${name}: ${cfg.torch}(${JSON.stringify(cfg.kwargs)}) [${path}] matches every one of 40 steps to 1e-5 rel + 1e-6 abs`, () => {
        const factory = FACTORIES[cfg.torch];
        if (!factory) throw new Error(`no rxgrad optimizer for ${cfg.torch}`);
        const opt = factory({ ...options(cfg.kwargs), ...(FUSED.has(cfg.torch) && { fused }) });
        const xs = trajectory(opt, ref.p0, ref.grads.length, (_x, t) => tf.tensor(ref.grads[t - 1]));
        xs.forEach((x, i) => expectClose(x, cfg.params[i].flat(), `${name} step ${i + 1}`));
      });
    }
  });
}
