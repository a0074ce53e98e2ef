import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { disposeReplaced, disposeTree, serializeState, type Hyper, type Tensors } from '../../src/index';
import { expectClose } from '../src/helpers';
import { FUSED_CONFIGS, randomGrads, randomParams, run, type Run } from './configs';

/**
 * The fused kernels compute in float64 and round once; the chain rounds every intermediate
 * tensor, and every scalar (η, 1 − β …), to float32: about 6e-8 relative per operation, a dozen
 * operations per update, accumulated over the run. A parameter that moves by large steps and
 * ends near zero carries that absolute error, so the tolerance is relative to the parameter's
 * scale: |fused − chain| ≤ 1e-6 · max_t ‖x_t‖∞ (its largest magnitude along the chain's run).
 */
const RTOL = 1e-6;

function expectSameRun(fused: Run, chain: Run, label: string): void {
  expect(fused.xs).toHaveLength(chain.xs.length);
  const names = Object.keys(chain.xs[0]);
  const scale = Object.fromEntries(names.map((n) => [n, Math.max(...chain.xs.flatMap((x) => x[n].map(Math.abs)))]));
  chain.xs.forEach((x, i) => {
    for (const name of names) expectClose(fused.xs[i][name], x[name], `${label} step ${i + 1} ${name}`, 0, RTOL * scale[name]);
    expect(fused.used[i], `${label} used at step ${i + 1}`).toEqual(chain.used[i]);
  });
}

/** Values a pipeline could stream at step t: lr decays, ε grows, every decay (β, α, ρ, μ) moves. */
function streamed(names: readonly string[], t: number): Hyper {
  const out: Record<string, number> = {};
  for (const h of names) {
    if (h === 'lr') out[h] = 0.05 / t;
    else if (h === 'eps') out[h] = 1e-8 * t;
    else if (['beta1', 'beta2', 'alpha', 'rho', 'momentum'].includes(h)) out[h] = 0.8 + 0.1 / t;
  }
  return out;
}

const ref: { p0: number[][]; grads: number[][][] } = JSON.parse(readFileSync(new URL('../fixtures/torch_reference.json', import.meta.url), 'utf8'));

describe('every fused optimizer agrees with its chain', () => {
  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    const fused = make(true);
    const chain = make(false);

    it(`${name}: on random data (3 parameters, gradients over four decades, 40 steps)`, () => {
      const params = randomParams();
      const grads = randomGrads(params);
      const a = run(() => fused, params, grads, 40);
      const b = run(() => chain, params, randomGrads(params), 40);
      expectSameRun(a, b, name);
      disposeTree(params);
    });

    it(`${name}: on the conformance fixture's gradients (torch_reference.json, 40 steps)`, () => {
      const params = { x: tf.tensor(ref.p0) };
      const grads = (t: number): Tensors => ({ x: tf.tensor(ref.grads[t - 1]) });
      expectSameRun(run(() => fused, params, grads, 40), run(() => chain, params, grads, 40), name);
      disposeTree(params);
    });

    it(`${name}: hyperparameters streamed per step (ctx.hyper) are resolved and reported alike`, () => {
      const params = randomParams(3);
      const ctx = (t: number) => ({ step: t, hyper: streamed(chain.hyper, t) });
      const a = run(() => fused, params, randomGrads(params, 11), 25, ctx);
      const b = run(() => chain, params, randomGrads(params, 11), 25, ctx);
      expectSameRun(a, b, name);
      expect(a.used[4]?.lr).toBeCloseTo(0.01, 12);
      disposeTree(params);
    });

    it(`${name}: both paths share one state layout (alternating them every step equals the chain alone)`, () => {
      const params = randomParams(5);
      const alternating = run((t) => (t % 2 ? fused : chain), params, randomGrads(params, 13), 30);
      expectSameRun(alternating, run(() => chain, params, randomGrads(params, 13), 30), name);
      disposeTree(params);
    });

    it(`${name}: the fused state serializes exactly as the chain's (same keys, shapes, dtypes, counts)`, () => {
      const params = randomParams(9);
      const shape = (s: unknown) => JSON.stringify(serializeState(s), (k, v) => (k === 'values' ? (v as unknown[]).length : v));
      const states = [fused, chain].map((opt) => {
        let state = opt.init(params);
        const grads = randomGrads(params, 17);
        for (let t = 1; t <= 3; t++) {
          const g = grads(t);
          const r = opt.update(t === 3 ? { b: g.b } : g, state, params); // the last update on a subset
          disposeReplaced(state, r.state);
          disposeTree([g, r.updates]);
          state = r.state;
        }
        return state;
      });
      expect(shape(states[0])).toBe(shape(states[1]));
      disposeTree([states, params]);
    });
  }
});
