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

  it('the same when every field is already a key (the spread branch): order kept, base untouched', () => {
    const base = { step: 1, online: { pending: 0 }, loss: 2 };
    const out = extend(base, { online: { pending: 1 }, step: 2 });
    expect(out).toEqual({ step: 2, online: { pending: 1 }, loss: 2 });
    expect(Object.keys(out)).toEqual(['step', 'online', 'loss']);
    expect(out).not.toBe(base);
    expect(base).toEqual({ step: 1, online: { pending: 0 }, loss: 2 });
  });
});
