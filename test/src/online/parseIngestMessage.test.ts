import { describe, expect, it } from 'vitest';
import { parseIngestMessage } from '../../../src/online/parseIngestMessage';

describe('parseIngestMessage', () => {
  it('accepts examples (unchecked one by one) and labels', () => {
    const m = { type: 'examples', run: 'r', id: 3, examples: [{ x: [1] }, 'anything'] };
    expect(parseIngestMessage(m)).toEqual(m);
    expect(parseIngestMessage({ type: 'labels', run: 'r', labels: [{ id: 'a', y: 1 }, { id: 2, y: 0.5 }] })).toEqual({ type: 'labels', run: 'r', labels: [{ id: 'a', y: 1 }, { id: 2, y: 0.5 }] });
  });

  it('names what is wrong', () => {
    const bad: [unknown, string][] = [
      [[1], 'Expected `message` a JSON object, got [1]'],
      [{ type: 'pause', run: 'r' }, 'Expected `type` examples or labels, got "pause"'],
      [{ type: 'examples', run: '', examples: [1] }, 'Expected `run` a string of 1–200 characters, got ""'],
      [{ type: 'examples', run: 'r', examples: {} }, 'Expected `examples` an array of 1–1000 items, got {}'],
      [{ type: 'examples', run: 'r', examples: new Array(1001).fill({}) }, 'Expected `examples` an array of 1–1000 items, got 1001 items'],
      [{ type: 'examples', run: 'r', id: 1.5, examples: [{}] }, 'Expected `id` an integer or a string of ≤ 64 characters, got 1.5'],
      [{ type: 'labels', run: 'r', labels: [{ id: 1, y: 1, z: 2 }] }, 'Expected `labels[0]` an object { id, y }, got {"id":1,"y":1,"z":2}'],
      [{ type: 'labels', run: 'r', labels: [{ id: null, y: 1 }] }, 'Expected `labels[0].id` a string of ≤ 256 characters or a finite number, got null'],
      [{ type: 'labels', run: 'r', labels: [{ id: 1, y: null }] }, 'Expected `labels[0].y` a finite number, got null'],
      [{ type: 'labels', run: 'r', examples: [{}] }, 'Expected `examples` absent (a labels message has type, run, id, labels), got it'],
    ];
    for (const [m, reason] of bad) expect(() => parseIngestMessage(m)).toThrow(reason);
  });
});
