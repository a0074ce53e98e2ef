import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import * as rxgrad from '../../../src/index';
import { disposeTree, scheduleFreeEvalParams, type Tensors, type Transform } from '../../../src/index';
import { expectClose } from '../helpers';
import { stepOnce } from './contract';

type Tree = Record<string, number[] | number[][]>;
interface Case {
  readonly optax: string;
  readonly rxgrad: string;
  readonly options: Record<string, unknown>;
  readonly params: Tree[];
  readonly eval?: Tree[];
}
/** Optax's own optimizers in float64 on 12 fixed gradients (written by test/fixtures/optax_reference.py). */
const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/optax_reference.json'), 'utf8')) as { optax: string; p0: Tree; grads: Tree[]; cases: Record<string, Case> };

const tensors = (tree: Tree): Tensors => Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, tf.tensor(v)]));

describe(`Optax ${ref.optax} conformance (float64 reference, 12 steps, 1e-5 relative)`, () => {
  for (const [name, c] of Object.entries(ref.cases)) {
    it(`${c.rxgrad}(${JSON.stringify(c.options)}) = optax ${name}`, () => {
      const make = (rxgrad as unknown as Record<string, (o: unknown) => Transform<any>>)[c.rxgrad];
      const opt = make(c.options);
      let params = tensors(ref.p0);
      let state = opt.init(params);
      ref.grads.forEach((gt, i) => {
        const g = tensors(gt);
        ({ params, state } = stepOnce(opt, params, state, g));
        for (const k of Object.keys(params)) expectClose(params[k].dataSync(), c.params[i][k].flat(), `${name} ${k} step ${i + 1}`, 1e-5, 1e-6);
        if (c.eval) {
          const x = scheduleFreeEvalParams(state, params);
          for (const k of Object.keys(x)) expectClose(x[k].dataSync(), c.eval[i][k].flat(), `${name} eval ${k} step ${i + 1}`, 1e-5, 1e-6);
          disposeTree(x);
        }
      });
      disposeTree([state, params]);
    });
  }
});
