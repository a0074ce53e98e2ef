import { describe, expect, it } from 'vitest';
import { sameEntries } from '../../src/sameEntries';

describe('sameEntries', () => {
  it('the same keys and values, whatever the order; undefined only equals undefined', () => {
    expect(sameEntries({ lr: 0.1, b1: 0.9 }, { b1: 0.9, lr: 0.1 }, 2)).toBe(true);
    expect(sameEntries({}, {}, 0)).toBe(true);
    expect(sameEntries(undefined, undefined, 0)).toBe(true);
    expect(sameEntries({}, undefined, 0)).toBe(false);
    expect(sameEntries(undefined, {}, 0)).toBe(false);
  });

  it('a value changed, a key missing or one more: not the same', () => {
    expect(sameEntries({ lr: 0.2 }, { lr: 0.1 }, 1)).toBe(false);
    expect(sameEntries({ lr: 0.1 }, { lr: 0.1, b1: 0.9 }, 2)).toBe(false);
    expect(sameEntries({ lr: 0.1, b1: 0.9 }, { lr: 0.1 }, 1)).toBe(false);
    // A key of a with value undefined where b lacks it: b[key] is undefined too, but the count tells.
    expect(sameEntries({ lr: 0.1, x: undefined } as never, { lr: 0.1 }, 1)).toBe(false);
  });

  it('Object.is: NaN equals NaN, 0 differs from −0', () => {
    expect(sameEntries({ lr: NaN }, { lr: NaN }, 1)).toBe(true);
    expect(sameEntries({ lr: 0 }, { lr: -0 }, 1)).toBe(false);
  });
});
