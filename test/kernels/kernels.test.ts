import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adadeltaKernel,
  adagradKernel,
  adamaxKernel,
  adamKernel,
  addKernel,
  fromValues,
  rmspropKernel,
  sgdKernel,
  sumOfSquaresKernel,
  values,
} from '../../src/index';
import { expectClose } from '../src/helpers';

const f32 = (...xs: number[]) => Float32Array.from(xs);

/** Every kernel is pure: it returns new arrays and leaves its inputs as they were. */
function frozen<T>(inputs: Float32Array[], run: () => T): T {
  const copies = inputs.map((a) => Float32Array.from(a));
  const out = run();
  inputs.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(copies[i])));
  return out;
}

describe('sgdKernel (hand derivations)', () => {
  const h = { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };

  it('plain: u = −η·g, the buffer left alone (null)', () => {
    // u = −0.1·[2, −4] = [−0.2, 0.4]
    const r = sgdKernel(f32(2, -4), undefined, null, h);
    expectClose(r.update, [-0.2, 0.4], 'u');
    expect(r.trace).toBeNull();
  });

  it('weight decay: g′ = g + λx', () => {
    // g′ = 2 + 0.5·4 = 4, u = −0.4
    expectClose(sgdKernel(f32(2), f32(4), null, { ...h, weightDecay: 0.5 }).update, [-0.4], 'u');
  });

  it('momentum: the first buffer is the gradient, then v = μv + (1 − τ)g', () => {
    // no buffer: v = g = 1, u = −0.1
    const first = sgdKernel(f32(1), undefined, null, { ...h, momentum: 0.9 });
    expectClose(first.trace!, [1], 'v1');
    expectClose(first.update, [-0.1], 'u1');
    // v = 0.9·2 + (1 − 0.5)·1 = 2.3, u = −0.23
    const g = f32(1);
    const v = f32(2);
    const second = frozen([g, v], () => sgdKernel(g, undefined, v, { ...h, momentum: 0.9, dampening: 0.5 }));
    expectClose(second.trace!, [2.3], 'v2');
    expectClose(second.update, [-0.23], 'u2');
  });

  it('nesterov: d = g + μv', () => {
    // v = 0.9·2 + 1 = 2.8, d = 1 + 0.9·2.8 = 3.52, u = −0.352
    const r = sgdKernel(f32(1), undefined, f32(2), { ...h, momentum: 0.9, nesterov: true });
    expectClose(r.trace!, [2.8], 'v');
    expectClose(r.update, [-0.352], 'u');
  });
});

describe('adagradKernel (hand derivations)', () => {
  const h = { lr: 1, lrDecay: 0, eps: 0, epsInSqrt: false, weightDecay: 0, t: 1 };

  it('PyTorch form: s = s + g², u = −η·g/(√s + ε)', () => {
    // s = 7 + 3² = 16, u = −3/(4 + 1) = −0.6 (ε = 1)
    const g = f32(3);
    const s = f32(7);
    const r = frozen([g, s], () => adagradKernel(g, undefined, s, { ...h, eps: 1 }));
    expectClose(r.sum, [16], 's');
    expectClose(r.update, [-0.6], 'u');
  });

  it('book form (ε inside the root), lr decay and weight decay', () => {
    // g′ = 1 + 0.5·2 = 2, s = 0 + 4 = 4, u = −1/(1 + (3 − 1)·0.5) · 2/√(4 + 5) = −(1/2)·(2/3) = −1/3
    const r = adagradKernel(f32(1), f32(2), f32(0), { ...h, eps: 5, epsInSqrt: true, lrDecay: 0.5, weightDecay: 0.5, t: 3 });
    expectClose(r.sum, [4], 's');
    expectClose(r.update, [-1 / 3], 'u');
  });
});

describe('rmspropKernel (hand derivations)', () => {
  const h = { lr: 1, alpha: 0.5, eps: 0, epsInSqrt: false, momentum: 0, dampening: 0, weightDecay: 0 };

  it('plain: s = αs + (1 − α)g², u = −η·g/(√s + ε); the buffer left alone', () => {
    // s = 0.5·2 + 0.5·4 = 3, u = −2/√3
    const r = rmspropKernel(f32(2), undefined, { square: f32(2), mean: null, trace: null }, h);
    expectClose(r.square, [3], 's');
    expectClose(r.update, [-2 / Math.sqrt(3)], 'u');
    expect(r.mean).toBeNull();
    expect(r.trace).toBeNull();
  });

  it('centred with momentum: m = αm + (1 − α)g, d = g/√(s − m²), b = μb + d', () => {
    // s = 0.5·6 + 0.5·4 = 5, m = 0.5·0 + 0.5·2 = 1, d = 2/√(5 − 1) = 1, b = 0.5·4 + 1 = 3, u = −0.1·3 = −0.3
    const s = { square: f32(6), mean: f32(0), trace: f32(4) };
    const r = frozen([s.square, s.mean, s.trace], () => rmspropKernel(f32(2), undefined, s, { ...h, lr: 0.1, momentum: 0.5 }));
    expectClose(r.square, [5], 's');
    expectClose(r.mean!, [1], 'm');
    expectClose(r.trace!, [3], 'b');
    expectClose(r.update, [-0.3], 'u');
  });

  it('book form (ε inside the root), first momentum buffer = d', () => {
    // s = 0.5·0 + 0.5·1 = 0.5, d = 1/√(0.5 + 0.5) = 1, b = d = 1, u = −1
    const r = rmspropKernel(f32(1), undefined, { square: f32(0), mean: null, trace: null }, { ...h, eps: 0.5, epsInSqrt: true, momentum: 0.9 });
    expectClose(r.trace!, [1], 'b');
    expectClose(r.update, [-1], 'u');
  });
});

describe('adadeltaKernel (hand derivations)', () => {
  it('s = ρs + (1 − ρ)g², d = √(Δ + ε)/√(s + ε)·g, Δ = ρΔ + (1 − ρ)d², u = −η·d', () => {
    // ρ = 0.5, ε = 0, s₀ = 7, Δ₀ = 2, g = 3: s = 0.5·7 + 0.5·9 = 8; d = √2/√8·3 = 1.5;
    // Δ = 0.5·2 + 0.5·1.5² = 2.125; u = −2·1.5 = −3
    const s = { square: f32(7), delta: f32(2) };
    const r = frozen([s.square, s.delta], () => adadeltaKernel(f32(3), undefined, s, { lr: 2, rho: 0.5, eps: 0, weightDecay: 0 }));
    expectClose(r.square, [8], 's');
    expectClose(r.delta, [2.125], 'Δ');
    expectClose(r.update, [-3], 'u');
  });
});

describe('adamKernel (hand derivations)', () => {
  const h = { lr: 0.1, beta1: 0.5, beta2: 0.75, eps: 0, weightDecay: 0, decoupled: false, t: 1 };

  it('t = 1: m̂ = g, v̂ = g², u = −η·sign(g)', () => {
    // m = 0.5·2 = 1, v = 0.25·4 = 1; m̂ = 1/0.5 = 2, √v̂ = √1/√0.25 = 2: u = −0.1
    const r = adamKernel(f32(2), undefined, { m: f32(0), v: f32(0), vMax: null }, h);
    expectClose(r.m, [1], 'm');
    expectClose(r.v, [1], 'v');
    expectClose(r.update, [-0.1], 'u');
    expect(r.vMax).toBeNull();
  });

  it('AMSGrad keeps the running maximum of v; L2 decay goes into the moments', () => {
    // g′ = 1 + 1·1 = 2; m = 0.5·2 + 0.5·2 = 2; v = 0.75·4 + 0.25·4 = 4; v̂ = max(16, 4) = 16;
    // t = 2: m̂ = 2/(1 − 0.25) = 8/3, √v̂/√(1 − 0.5625) = 4/0.6614378 = 6.0474; u = −0.1·(8/3)/6.0474
    const s = { m: f32(2), v: f32(4), vMax: f32(16) };
    const r = frozen([s.m, s.v, s.vMax], () => adamKernel(f32(1), f32(1), s, { ...h, weightDecay: 1, t: 2 }));
    expectClose(r.m, [2], 'm');
    expectClose(r.v, [4], 'v');
    expectClose(r.vMax!, [16], 'v̂');
    expectClose(r.update, [(-0.1 * (8 / 3)) / (4 / Math.sqrt(1 - 0.5625))], 'u');
  });

  it('decoupled (AdamW): λx is added after the scaling, the moments see g alone', () => {
    // as the t = 1 case (scaled step 1) plus λx = 0.5·4 = 2: u = −0.1·(1 + 2) = −0.3
    const r = adamKernel(f32(2), f32(4), { m: f32(0), v: f32(0), vMax: null }, { ...h, weightDecay: 0.5, decoupled: true });
    expectClose(r.m, [1], 'm');
    expectClose(r.update, [-0.3], 'u');
  });
});

describe('adamaxKernel (hand derivations)', () => {
  it('m = β1m + (1 − β1)g, n = max(β2n, |g| + ε), u = −η·m/n/(1 − β1^t)', () => {
    // m = 0.5·0 + 0.5·(−2) = −1, n = max(0.5·1, 2 + 0.5) = 2.5; t = 1: u = −0.1·(−1/2.5)/0.5 = 0.08
    const s = { m: f32(0), norm: f32(1) };
    const r = frozen([s.m, s.norm], () => adamaxKernel(f32(-2), undefined, s, { lr: 0.1, beta1: 0.5, beta2: 0.5, eps: 0.5, weightDecay: 0, t: 1 }));
    expectClose(r.m, [-1], 'm');
    expectClose(r.norm, [2.5], 'n');
    expectClose(r.update, [0.08], 'u');
  });

  it('the decayed norm wins when larger', () => {
    // n = max(0.5·10, |1| + 0) = 5
    expectClose(adamaxKernel(f32(1), undefined, { m: f32(0), norm: f32(10) }, { lr: 1, beta1: 0.5, beta2: 0.5, eps: 0, weightDecay: 0, t: 1 }).norm, [5], 'n');
  });
});

describe('addKernel, sumOfSquaresKernel, values, fromValues', () => {
  it('addKernel: x + u elementwise, inputs untouched', () => {
    const x = f32(1, 2);
    const u = f32(0.5, -1);
    expect(Array.from(frozen([x, u], () => addKernel(x, u)!))).toEqual([1.5, 1]);
  });

  it('addKernel: undefined when x + u is not finite in float32 (NaN, ±Infinity, or an overflow of two finite values)', () => {
    // 3e38 + 3e38 = 6e38 > the largest float32 (≈ 3.4028235e38): rounds to Infinity
    expect(addKernel(f32(1, 3e38), f32(0, 3e38))).toBeUndefined();
    expect(addKernel(f32(1, 2), f32(NaN, 0))).toBeUndefined();
    expect(addKernel(f32(-Infinity), f32(0))).toBeUndefined();
    // the largest float32 plus a value below half an ulp stays finite
    expect(Array.from(addKernel(f32(3.4028234663852886e38), f32(1e30))!)).toEqual([3.4028234663852886e38]);
  });

  it('sumOfSquaresKernel: 3² + 4² = 25', () => {
    expect(sumOfSquaresKernel(f32(3, 4))).toBe(25);
  });

  it('values reads float32 tensors (zero-copy on cpu) and converts other dtypes', () => {
    const t = tf.tensor1d([1, 2]);
    expect(values(t)).toBe(t.dataSync()); // the tensor's own storage on cpu
    const i = tf.tensor1d([3, 4], 'int32');
    const v = values(i);
    expect(v).toBeInstanceOf(Float32Array);
    expect(Array.from(v)).toEqual([3, 4]);
    tf.dispose([t, i]);
  });

  it('fromValues wraps an array in a float32 tensor of the given shape', () => {
    const t = fromValues(f32(1, 2, 3, 4), [2, 2]);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    expect(t.arraySync()).toEqual([[1, 2], [3, 4]]);
    t.dispose();
  });
});
