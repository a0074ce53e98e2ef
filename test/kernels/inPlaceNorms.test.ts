import { describe, expect, it } from 'vitest';
import { adamKernelInPlace, disposeReplaced, disposeTree, sgd, sgdKernelInPlace, type FusedMode, type InPlaceOutput } from '../../src/index';
import type { ArrayTransform } from '../../src/optimizers/fusedChain';
import { FUSED_CONFIGS, randomGrads, randomParams } from './configs';

const f32 = (...xs: number[]) => Float32Array.from(xs);

function out(n: number): InPlaceOutput {
  return { update: new Float32Array(n), next: new Float32Array(n) };
}

describe('the in-place kernels report Σu² and Σg² from their own pass (InPlaceOutput)', () => {
  it('sgd, plain and with momentum (hand derivations)', () => {
    // η = 0.1, g = [3, −4], x = [1, 1]: u = −η·g = [−0.3, 0.4]; Σu² = 0.09 + 0.16 = 0.25; Σg² = 9 + 16 = 25.
    const o = out(2);
    expect(sgdKernelInPlace(f32(3, -4), f32(1, 1), null, false, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, o)).toBe(0);
    expect(o.updateSq).toBeCloseTo(0.25, 7);
    expect(o.gradSq).toBe(25);
    // μ = 0.9, buffer [2, 0], g = [1, 1]: v = [0.9·2 + 1, 1] = [2.8, 1]; u = −0.1·v = [−0.28, −0.1];
    // Σu² = 0.0784 + 0.01 = 0.0884; Σg² = 2.
    const m = out(2);
    sgdKernelInPlace(f32(1, 1), f32(1, 1), f32(2, 0), false, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 }, m);
    expect(m.updateSq).toBeCloseTo(0.0884, 7);
    expect(m.gradSq).toBe(2);
    // With weight decay λ = 0.5 (g' = g + λx = [3.5, −3.5]) Σg² is still that of the gradient as given: 25.
    const d = out(2);
    sgdKernelInPlace(f32(3, -4), f32(1, 1), null, false, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.5 }, d);
    expect(d.gradSq).toBe(25);
    expect(d.updateSq).toBeCloseTo(0.35 ** 2 + 0.35 ** 2, 7);
  });

  it('adam at t = 1 (hand derivation)', () => {
    // m = 0.1·2 = 0.2, v = 0.001·4 = 0.004; m̂ = 0.2/0.1 = 2, √v̂ = √(0.004/0.001) = 2 (ε = 0): u = −0.1·2/2 = −0.1.
    // Σu² = 0.01, Σg² = 4, x + u = 0.9.
    const s = { m: f32(0), v: f32(0), vMax: null };
    const o = out(1);
    expect(adamKernelInPlace(f32(2), f32(1), s, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, decoupled: false, t: 1 }, o)).toBe(0);
    expect(o.updateSq).toBeCloseTo(0.01, 7);
    expect(o.gradSq).toBe(4);
    expect(o.next[0]).toBeCloseTo(0.9, 7);
  });

  it('a non-finite u gives a non-finite Σu² (u = −η·g overflows float32: 1e38·−6e0 → ∞)', () => {
    const o = out(2);
    const check = sgdKernelInPlace(f32(1, -6), f32(0, 0), null, false, { lr: 1e38, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, o);
    expect(Number.isNaN(check)).toBe(true);
    expect(Number.isFinite(o.updateSq)).toBe(false);
  });

  // FUSED_CONFIGS, and momentum with PyTorch's defaults (its loop of its own).
  const configs = { ...FUSED_CONFIGS, 'sgd momentum 0.9': (fused: FusedMode) => sgd({ lr: 0.1, momentum: 0.9, fused }) };
  for (const [name, make] of Object.entries(configs)) {
    it(`${name}: Σu² of the u it wrote, Σg² of the gradient; with update = next the same x + u and norms`, () => {
      const params = randomParams(3);
      const g = randomGrads(params, 5)(1);
      const names = Object.keys(g);
      const run = (lean: boolean) => {
        const opt = make('auto') as ArrayTransform<unknown[]>;
        let state = opt.init(params);
        const outs: Record<string, InPlaceOutput> = {};
        for (const n of names) {
          const next = new Float32Array(g[n].size);
          outs[n] = { update: lean ? next : new Float32Array(g[n].size), next };
        }
        // Three updates: the later ones run on state written in place (momentum: its common loop).
        for (let t = 1; t <= 3; t++) {
          const r = opt.updateArrays(g, state, params, { step: t }, outs);
          expect(r.bad).toBeUndefined();
          if (r.replaced) disposeReplaced(state, r.state);
          state = r.state;
        }
        disposeTree(state);
        return outs;
      };
      const full = run(false);
      const lean = run(true);
      for (const n of names) {
        const gv = g[n].dataSync();
        let gsq = 0;
        for (let i = 0; i < gv.length; i++) gsq += gv[i] * gv[i];
        let usq = 0;
        for (let i = 0; i < full[n].update.length; i++) usq += full[n].update[i] * full[n].update[i];
        expect(full[n].gradSq).toBe(gsq);
        expect(full[n].updateSq).toBe(usq);
        expect(Array.from(lean[n].next)).toEqual(Array.from(full[n].next));
        expect(lean[n].updateSq).toBe(usq);
        expect(lean[n].gradSq).toBe(gsq);
      }
      disposeTree([params, g]);
    });
  }
});
