import { RxgradError, shown } from '../RxgradError';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A `Float32Array`'s bytes (IEEE 754 float32, little-endian as every platform tfjs runs on) as
 * standard base64: how parameters and gradients travel inside JSON messages.
 *
 * @example
 * float32ToBase64(Float32Array.of(1)); // 'AACAPw==' (bytes 00 00 80 3f)
 */
export function float32ToBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/**
 * The `Float32Array` a base64 string holds (the inverse of `float32ToBase64`), checked:
 *
 * 1. `text` is canonical standard base64 (padding included) — anything else is an `RxgradError`
 *    naming `field` (Node's decoder would silently skip bad characters);
 * 2. it decodes to exactly `length` float32 values (4·length bytes) when `length` is given, else
 *    to a multiple of 4 bytes;
 * 3. the result is a fresh, aligned array (never a view of the decoder's buffer).
 *
 * @example
 * base64ToFloat32('grads.w', 'AACAPw==', 1); // Float32Array [1]
 * base64ToFloat32('grads.w', 'AACAPw==', 2); // throws "Expected `grads.w` 2 float32 values (8 bytes of base64), got 4 bytes"
 */
export function base64ToFloat32(field: string, text: unknown, length?: number): Float32Array {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new RxgradError(field, 'float32 values as standard base64', typeof text === 'string' ? shown('a string that is not base64') : text);
  const bytes = Buffer.from(text, 'base64');
  const expected = length === undefined ? 'float32 values (a multiple of 4 bytes of base64)' : `${length} float32 value${length === 1 ? '' : 's'} (${4 * length} bytes of base64)`;
  if (length === undefined ? bytes.length % 4 !== 0 : bytes.length !== 4 * length) throw new RxgradError(field, expected, shown(`${bytes.length} bytes`));
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** How many float32 values each named array holds (a model's parameters, or their gradients). */
export type ArraySizes = Readonly<Record<string, number>>;

/**
 * Named float32 arrays as a JSON-able record of base64 strings (`float32ToBase64` each).
 *
 * @example
 * encodeArrays({ b: Float32Array.of(1) }); // { b: 'AACAPw==' }
 */
export function encodeArrays(arrays: Readonly<Record<string, Float32Array>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(arrays)) out[name] = float32ToBase64(arrays[name]);
  return out;
}

/**
 * The named arrays `encodeArrays` wrote, checked against `sizes`: exactly the names of `sizes`
 * (one missing or one extra is an `RxgradError` naming `field.name`), each of its size.
 *
 * @example
 * decodeArrays('grads', { b: 'AACAPw==' }, { b: 1 }); // { b: Float32Array [1] }
 * decodeArrays('grads', { b: 'AACAPw==' }, { w: 1, b: 1 }); // throws "Expected `grads.w` float32 values as standard base64, got undefined"
 */
export function decodeArrays(field: string, raw: unknown, sizes: ArraySizes): Record<string, Float32Array> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new RxgradError(field, `an object of base64 float32 arrays named ${Object.keys(sizes).join(', ')}`, raw);
  const record = raw as Record<string, unknown>;
  const extra = Object.keys(record).find((name) => !Object.hasOwn(sizes, name));
  if (extra !== undefined) throw new RxgradError(`${field}.${extra}`, `absent (the names are ${Object.keys(sizes).join(', ')})`, shown('it'));
  const out: Record<string, Float32Array> = {};
  for (const name of Object.keys(sizes)) out[name] = base64ToFloat32(`${field}.${name}`, record[name], sizes[name]);
  return out;
}
