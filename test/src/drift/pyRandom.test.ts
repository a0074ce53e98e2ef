import { describe, expect, it } from 'vitest';
import { PyRandom } from './pyRandom';

// Expected values printed by CPython 3.11:
//   r = random.Random(12345); [r.random() for _ in range(3)]
//   r = random.Random(12345); s = r.choices([0, 1], k=1000) + r.choices(range(4, 8), k=1000)
//   r = random.Random(42); r.choices([0, 1], k=5), r.choices([0, 1], k=5, weights=[0.3, 0.7])
//   random.Random(2**40 + 7).random()
describe('PyRandom (CPython random.Random)', () => {
  it('random() matches CPython bit for bit', () => {
    const r = new PyRandom(12345);
    expect([r.random(), r.random(), r.random()]).toEqual([0.41661987254534116, 0.010169169457068361, 0.8252065092537432]);
    expect(new PyRandom(2 ** 40 + 7).random()).toBe(0.6137037779936511);
  });

  it('choices without and with weights match CPython', () => {
    const r = new PyRandom(12345);
    const s = [...r.choices([0, 1], 1000), ...r.choices([4, 5, 6, 7], 1000)];
    expect(s.slice(0, 10)).toEqual([0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    expect(s.slice(1000, 1010)).toEqual([4, 6, 7, 4, 6, 7, 5, 4, 6, 7]);
    expect(s.reduce((a, b) => a + b, 0)).toBe(5970);
    const q = new PyRandom(42);
    expect(q.choices([0, 1], 5)).toEqual([1, 0, 0, 0, 1]);
    expect(q.choices([0, 1], 5, [0.3, 0.7])).toEqual([1, 1, 0, 1, 0]);
  });
});
