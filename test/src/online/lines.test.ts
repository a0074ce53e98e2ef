import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/online/LineSplitter';
import { CsvSchema } from '../../../src/online/CsvSchema';
import { parseJsonLine } from '../../../src/online/parseJsonLine';
import { checkExample } from '../../../src/online/checkExample';
import { exampleTable } from '../../../src/online/ExampleTable';

function collect(max: number, chunks: string[], end = false) {
  const s = new LineSplitter(max, 100);
  const out: (string | number)[][] = [];
  const h = { line: (t: string, e: number) => void out.push(['line', t, e]), oversize: (b: number, e: number) => void out.push(['oversize', b, e]) };
  for (const c of chunks) s.push(Buffer.from(c), h);
  if (end) s.end(h);
  return { out, offset: s.offset };
}

describe('LineSplitter', () => {
  it('cuts lines across chunks with byte offsets after each newline (from `start`)', () => {
    // "ab\n" ends at 100 + 3; "cé\r\n" is 5 bytes (é is 2) → 108; the blank line → 109; "d" pending
    const { out, offset } = collect(64, ['a', 'b\nc', 'é\r\n\nd']);
    expect(out).toEqual([['line', 'ab', 103], ['line', 'cé', 108]]);
    expect(offset).toBe(109);
    expect(collect(64, ['a\nd'], true).out).toEqual([['line', 'a', 102], ['line', 'd', 103]]);
  });

  it('skips an oversize line without buffering it and reports its length once it ends', () => {
    const { out } = collect(4, ['12', '345', '67\nok\n', '123456789', '\n']);
    expect(out).toEqual([['oversize', 7, 108], ['line', 'ok', 111], ['oversize', 9, 121]]);
  });


  it('stops after a line whose handler returns false and returns the rest of the chunk', () => {
    const s = new LineSplitter(64);
    const seen: string[] = [];
    const h = { line: (t: string) => (seen.push(t), t !== 'b'), oversize: () => undefined };
    const rest = s.push(Buffer.from('a\nb\nc\nd'), h);
    expect(seen).toEqual(['a', 'b']);
    expect(Buffer.from(rest!).toString()).toBe('c\nd');
    expect(s.offset).toBe(4);
    expect(s.push(rest!, h)).toBeUndefined();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(s.offset).toBe(6);
  });
});

describe('CsvSchema', () => {
  it('maps header columns to features, label, id and time', () => {
    const s = new CsvSchema('t,a,b,key,y', { time: 't', id: 'key', label: 'y' });
    expect(s.parse('5,0.5,1e-3,k1,1')).toEqual({ x: [0.5, 0.001], y: 1, id: 'k1', time: 5 });
    expect(s.parse('5,0.5,2,k2,')).toEqual({ x: [0.5, 2], id: 'k2', time: 5 });
    expect(new CsvSchema('a,b,target').parse('1,2,0')).toEqual({ x: [1, 2], y: 0 });
    expect(new CsvSchema('a,b', { label: null }).parse('1,2')).toEqual({ x: [1, 2] });
  });

  it('rejects bad rows and headers naming the column and the cell', () => {
    const s = new CsvSchema('a,b,target');
    expect(() => s.parse('1,abc,0')).toThrow('Expected `b` a number, got "abc"');
    expect(() => s.parse('1,,0')).toThrow('Expected `b` a number, got ""');
    expect(() => s.parse('1,2')).toThrow('Expected `row` 3 cells (as the header), got 2');
    expect(() => s.parse('1,NaN,0')).toThrow('Expected `b` a number, got "NaN"');
    expect(() => new CsvSchema('a,a,y')).toThrow('Expected `header` distinct, non-empty column names, got "a,a,y"');
    expect(() => new CsvSchema('a,b', { label: 'z' })).toThrow('Expected `label` a column of the header (a, b), got "z"');
  });
});

describe('parseJsonLine and checkExample', () => {
  it('parse JSON or reject it quoting the line', () => {
    expect(parseJsonLine('{"x":[1]}')).toEqual({ x: [1] });
    expect(() => parseJsonLine('{"x":[1,')).toThrow('Expected `line` JSON, got "{\\"x\\":[1,"');
  });

  it('accept examples and name what is wrong with the others', () => {
    const ok = { x: [1, 2], y: 1, id: 'a', time: 5 };
    expect(checkExample(ok, 2)).toBe(ok);
    expect(checkExample({ x: Float32Array.of(1), y: null }, undefined)).toBeTruthy();
    expect(() => checkExample([1, 2], 2)).toThrow('Expected `example` an object { x, y?, id?, time? }, got [1, 2]');
    expect(() => checkExample({ x: '1,2' }, 2)).toThrow('Expected `x` an array of numbers (or a Float32Array), got "1,2"');
    expect(() => checkExample({ x: [1] }, 2)).toThrow('Expected `x` 2 features, got 1');
    expect(() => checkExample({ x: [] }, undefined)).toThrow('Expected `x` at least one feature, got none');
    expect(() => checkExample({ x: [1, Infinity] }, 2)).toThrow('Expected `x[1]` a finite number, got Infinity');
    expect(() => checkExample({ x: [1, 2], y: '1' }, 2)).toThrow('Expected `y` a finite number, null or absent, got "1"');
    // a classifier's label: an integer in [0, classes)
    expect(checkExample({ x: [1, 2], y: 1 }, 2, 2)).toBeTruthy();
    expect(checkExample({ x: [1, 2], y: null }, 2, 2)).toBeTruthy();
    for (const y of [2, 7, -1, 0.5]) expect(() => checkExample({ x: [1, 2], y }, 2, 2)).toThrow(`Expected \`y\` a class index in [0, 2), null or absent, got ${y}`);
    expect(checkExample({ x: [1, 2], y: 7 }, 2)).toBeTruthy(); // without classes: any finite label (regression)
    expect(() => checkExample({ x: [1, 2], id: {} }, 2)).toThrow('`id`');
    expect(() => checkExample({ x: [1, 2], time: 'now' }, 2)).toThrow('Expected `time` a finite number (ms since the epoch), got "now"');
    expect(() => checkExample({ x: [1, 2], label: 1 }, 2)).toThrow('Expected `label` absent (an example has x, y, id, time), got it');
  });
});

describe('exampleTable', () => {
  it('packs rows row-major and checks them', () => {
    const t = exampleTable({ xs: [[0, 1], [2, 3]], ys: [1, 0] });
    expect([t.n, t.d, Array.from(t.xs), Array.from(t.ys)]).toEqual([2, 2, [0, 1, 2, 3], [1, 0]]);
    expect(exampleTable(t)).toBe(t);
    expect(() => exampleTable({ xs: [[0, 1], [2, NaN]], ys: [1, 0] })).toThrow('Expected `x[1]` a finite number, got NaN (row 1)');
    expect(() => exampleTable({ xs: [[0, 1], [2]], ys: [1, 0] })).toThrow('Expected `x` 2 features, got 1 (row 1)');
    expect(() => exampleTable({ xs: [[0, 1]], ys: [1, 0] })).toThrow('Expected `table.ys` 1 labels (one per row), got [1, 0]');
    expect(() => exampleTable({ n: 2, d: 2, xs: new Float32Array(3), ys: new Float32Array(2) })).toThrow('Expected `table.xs` n × d = 2 × 2 values, got 3');
  });

  it('takes typed-array rows as checkExample does', () => {
    const t = exampleTable({ xs: [Float32Array.of(1, 2), Float64Array.of(3, 4)], ys: [1, 0] });
    expect([t.n, t.d, Array.from(t.xs)]).toEqual([2, 2, [1, 2, 3, 4]]);
  });

  it('stores a null or missing label as NaN (unlabelled), never as 0', () => {
    const t = exampleTable({ xs: [[0], [1], [2]], ys: [1, null, undefined] });
    expect(Array.from(t.ys)).toEqual([1, NaN, NaN]);
    expect(() => exampleTable({ xs: [[0]], ys: [NaN] })).toThrow('Expected `y` a finite number, null or absent, got NaN (row 0)');
  });
});
