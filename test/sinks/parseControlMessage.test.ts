import { describe, expect, it } from 'vitest';
import { parseControlMessage } from '../../streams/sinks/parseControlMessage';

const parse = (text: string) => parseControlMessage(text, false, 4096);

describe('parseControlMessage', () => {
  it('accepts each control type with exactly its fields', () => {
    expect(parse('{"type":"pause","run":"a","id":7}')).toEqual({ ok: true, message: { type: 'pause', run: 'a', id: 7 } });
    expect(parse('{"type":"resume","run":"a"}')).toEqual({ ok: true, message: { type: 'resume', run: 'a' } });
    expect(parse('{"type":"stop","run":"a","id":"x"}')).toEqual({ ok: true, message: { type: 'stop', run: 'a', id: 'x' } });
    expect(parse('{"type":"set","run":"a","name":"lr","value":0.01}')).toEqual({ ok: true, message: { type: 'set', run: 'a', name: 'lr', value: 0.01 } });
    expect(parse('{"type":"restart","run":"a","hyper":{"lr":0.2,"momentum":0.9}}')).toEqual({
      ok: true,
      message: { type: 'restart', run: 'a', hyper: { lr: 0.2, momentum: 0.9 } },
    });
    expect(parse('{"type":"optimizer","run":"a","name":"sgd","id":2}')).toEqual({ ok: true, message: { type: 'optimizer', run: 'a', name: 'sgd', id: 2 } });
  });

  it.each([
    ['not json', 'Expected JSON, got "not json"'],
    ['[1,2]', 'Expected `message` a JSON object, got [1, 2]'],
    ['null', 'Expected `message` a JSON object, got null'],
    ['{"type":"jump","run":"a"}', 'Expected `type` one of pause, resume, stop, set, restart, optimizer, got "jump"'],
    ['{"run":"a"}', 'Expected `type` one of pause, resume, stop, set, restart, optimizer, got undefined'],
    ['{"type":"pause"}', 'Expected `run` a string of 1–200 characters, got undefined'],
    ['{"type":"pause","run":""}', 'Expected `run` a string of 1–200 characters, got ""'],
    ['{"type":"pause","run":"a","extra":1}', 'Expected `extra` absent (a pause message has type, run, id), got it'],
    ['{"type":"set","run":"a","name":"lr","value":"0.1"}', 'Expected `value` a finite number, got "0.1"'],
    ['{"type":"set","run":"a","name":"lr","value":null}', 'Expected `value` a finite number, got null'],
    ['{"type":"set","run":"a","name":"__proto__x y","value":1}', 'Expected `name` a hyperparameter name (letters, digits, _ . -; ≤ 64), got "__proto__x y"'],
    ['{"type":"restart","run":"a","hyper":[1]}', 'Expected `hyper` an object of hyperparameter values, got [1]'],
    ['{"type":"restart","run":"a","hyper":{"lr":"big"}}', 'Expected `hyper.lr` a finite number, got "big"'],
    ['{"type":"pause","run":"a","id":1.5}', 'Expected `id` an integer or a string of ≤ 64 characters, got 1.5'],
    ['{"type":"optimizer","run":"a"}', 'Expected `name` an optimizer name (letters, digits, _ . -; ≤ 64), got undefined'],
    ['{"type":"optimizer","run":"a","name":"s g d"}', 'Expected `name` an optimizer name (letters, digits, _ . -; ≤ 64), got "s g d"'],
    ['{"type":"optimizer","run":"a","name":"sgd","value":1}', 'Expected `value` absent (a optimizer message has type, run, id, name), got it'],
  ])('rejects %s with a reason', (text, reason) => {
    expect(parse(text)).toEqual({ ok: false, reason });
  });

  it('echoes a readable id in the rejection', () => {
    expect(parse('{"type":"set","run":"a","name":"lr","value":"x","id":3}')).toEqual({ ok: false, id: 3, reason: 'Expected `value` a finite number, got "x"' });
  });

  it('rejects binary frames and oversized text before parsing', () => {
    expect(parseControlMessage(Buffer.from('{"type":"pause","run":"a"}'), true, 4096)).toEqual({ ok: false, reason: 'Expected a JSON text frame, got a binary frame' });
    const big = JSON.stringify({ type: 'pause', run: 'a'.repeat(100) });
    expect(parseControlMessage(big, false, 64)).toEqual({ ok: false, reason: `Expected a message of ≤ 64 bytes, got ${big.length} bytes` });
  });

  it('caps the number of edited hyperparameters', () => {
    const hyper = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`h${i}`, i]));
    expect(parse(JSON.stringify({ type: 'restart', run: 'a', hyper }))).toEqual({ ok: false, reason: 'Expected `hyper` at most 32 entries, got 33' });
  });

  it('keeps __proto__, constructor and toString as own keys of `hyper` (never a prototype, never dropped)', () => {
    const parsed = parse('{"type":"restart","run":"a","hyper":{"__proto__":1,"constructor":2,"toString":3}}');
    if (!parsed.ok || parsed.message?.type !== 'restart') throw new Error('expected a restart');
    const { hyper } = parsed.message;
    expect(Object.getPrototypeOf(hyper)).toBeNull();
    expect(Object.entries(hyper)).toEqual([['__proto__', 1], ['constructor', 2], ['toString', 3]]);
  });

  it('hands a registered custom type over as a null-prototype object, its id checked; other types still rejected', () => {
    const custom = new Set(['ingest']);
    const parsed = parseControlMessage('{"type":"ingest","id":4,"rows":[[1,2]],"__proto__":{"x":1}}', false, 4096, custom);
    if (!parsed.ok || !parsed.custom) throw new Error('expected a custom message');
    expect(Object.getPrototypeOf(parsed.custom)).toBeNull();
    expect({ ...parsed.custom }).toEqual({ type: 'ingest', id: 4, rows: [[1, 2]], ['__proto__']: { x: 1 } });
    expect(parsed.custom.constructor).toBeUndefined();
    expect(parseControlMessage('{"type":"ingest","id":{}}', false, 4096, custom)).toEqual({ ok: false, reason: 'Expected `id` an integer or a string of ≤ 64 characters, got {}' });
    expect(parseControlMessage('{"type":"jump"}', false, 4096, custom)).toEqual({ ok: false, reason: 'Expected `type` one of pause, resume, stop, set, restart, optimizer, ingest, got "jump"' });
  });
});
