/**
 * The dead letter every JetStream consumer of rxgrad writes for a malformed message
 * (src/online/deadLetter.ts), synchronously.
 */
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_PAYLOAD, encodeDeadLetter } from '../../src/online/deadLetter';

const from = { reason: 'Expected `x` 6 features, got 2', stream: 'rxgrad', subject: 'rxgrad.examples', sequence: 7, deliveries: 2 };

describe('encodeDeadLetter', () => {
  it('a UTF-8 payload is kept as text; the message id is <stream>-<sequence>', () => {
    const letter = encodeDeadLetter({ ...from, data: new TextEncoder().encode('{"x":[1,2]}') });
    expect(letter.msgID).toBe('rxgrad-7');
    expect(letter.body).toBe('{"reason":"Expected `x` 6 features, got 2","stream":"rxgrad","subject":"rxgrad.examples","sequence":7,"deliveries":2,"payload":"{\\"x\\":[1,2]}"}');
  });

  it('bytes that are not UTF-8 are kept as base64: (ff 00 fe → "/wD+")', () => {
    // 0xff 0x00 0xfe = 11111111 00000000 11111110 → 6-bit groups 63 48 3 62 → "/wD+"
    expect(JSON.parse(encodeDeadLetter({ ...from, data: Uint8Array.of(0xff, 0x00, 0xfe) }).body).payload).toBe('base64:/wD+');
  });

  it('a payload over 256 KiB keeps its first 256 KiB and says its size', () => {
    expect(DEAD_LETTER_PAYLOAD).toBe(262_144);
    const body = JSON.parse(encodeDeadLetter({ ...from, data: new Uint8Array(300 * 1024).fill(0x7a) }).body);
    expect(body.payload).toBe('z'.repeat(256 * 1024));
    expect(body.payloadBytes).toBe(307_200);
    expect(JSON.parse(encodeDeadLetter({ ...from, data: new Uint8Array(256 * 1024).fill(0x7a) }).body)).not.toHaveProperty('payloadBytes');
  });

  it('a view into a larger buffer encodes only its own bytes', () => {
    const buffer = Uint8Array.of(0xff, 0xff, 0x00, 0xff);
    // bytes 00 ff → 000000 001111 1111(00) → "AP8="
    expect(JSON.parse(encodeDeadLetter({ ...from, data: buffer.subarray(2) }).body).payload).toBe('base64:AP8=');
  });
});
