import { RxgradError, shown } from '../RxgradError';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A message's bytes (UTF-8 JSON) parsed as an object, or an `RxgradError` naming `field`:
 *
 * 1. bytes that are not UTF-8 JSON: "got N bytes that are not JSON";
 * 2. JSON that is not an object (an array, a number, null): the value.
 *
 * @example
 * messageJson('gradient', new TextEncoder().encode('{"n":1}')); // { n: 1 }
 * messageJson('gradient', new TextEncoder().encode('[1]'));     // throws "Expected `gradient` a JSON object, got [1]"
 */
export function messageJson(field: string, bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new RxgradError(field, 'a JSON object', shown(`${bytes.length} bytes that are not JSON`));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RxgradError(field, 'a JSON object', value);
  return value as Record<string, unknown>;
}

/**
 * A JSON text as the UTF-8 bytes of a message.
 *
 * @example
 * jsonBytes('{"n":1}').length; // 7
 */
export function jsonBytes(text: string): Uint8Array {
  return encoder.encode(text);
}
