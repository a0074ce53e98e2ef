import { describe, expect, it } from 'vitest';
import { extend } from '../../src/index';

describe('extend', () => {
  it('is { ...base, ...fields }: a new object, fields added or replaced, base untouched', () => {
    const base = { step: 1, hyper: { lr: 0.1 }, loss: 2 };
    const out = extend(base, { loss: 3, grads: 'g' });
    expect(out).toEqual({ step: 1, hyper: { lr: 0.1 }, loss: 3, grads: 'g' });
    expect(Object.keys(out)).toEqual(['step', 'hyper', 'loss', 'grads']);
    expect(out).not.toBe(base);
    expect(out.hyper).toBe(base.hyper); // shallow, as a spread
    expect(base).toEqual({ step: 1, hyper: { lr: 0.1 }, loss: 2 });
  });
});
