import { describe, expect, it } from 'vitest';
import { decayInput } from '../../src/kernels/decayInput';
import { adamKernel } from '../../src/kernels/adamKernel';
import { sgdKernel } from '../../src/kernels/sgdKernel';

describe('decayInput: the parameter values a pure kernel needs', () => {
  it('is x when given, and the gradient in its place when λ = 0 does not read x', () => {
    const x = Float32Array.of(1);
    const g = Float32Array.of(2);
    expect(decayInput(x, g, 0.1)).toBe(x);
    expect(decayInput(undefined, g, 0)).toBe(g);
  });

  it('fails naming x when weight decay needs it (a pure kernel called without x gave wrong numbers otherwise)', () => {
    const s = { m: Float32Array.of(0), v: Float32Array.of(0), vMax: null };
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false, t: 1 };
    expect(() => adamKernel(Float32Array.of(2), undefined, s, h)).toThrow("Expected `x` the parameter's values (weight decay 0.01 reads them), got undefined");
    expect(() => sgdKernel(Float32Array.of(2), undefined, null, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.5 } as never)).toThrow('Expected `x`');
  });
});
