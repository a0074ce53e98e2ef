import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';
import { decodeArrays, encodeArrays, type ArraySizes } from './float32Base64';
import { jsonBytes, messageJson } from './messageJson';

/** One version of a model's parameters, as the updater publishes it to the workers. */
export interface ModelMessage {
  /** Updates applied so far (0: the initial parameters). */
  readonly version: number;
  /** Parameter values by name (float32, row-major). */
  readonly params: Readonly<Record<string, Float32Array>>;
}

/**
 * A model version as JSON text: `{"version": v, "params": {"w": "<base64 float32>", …}}` (kept
 * as text so the updater encodes each version once, for its broadcast and every reply).
 *
 * @example
 * modelJson({ version: 3, params: { b: Float32Array.of(1) } }); // '{"version":3,"params":{"b":"AACAPw=="}}'
 */
export function modelJson(model: ModelMessage): string {
  return JSON.stringify({ version: model.version, params: encodeArrays(model.params) });
}

/**
 * `modelJson` as message bytes (UTF-8).
 *
 * @example
 * decodeModel(encodeModel({ version: 3, params: { b: Float32Array.of(1) } }), { b: 1 }).version; // 3
 */
export function encodeModel(model: ModelMessage): Uint8Array {
  return jsonBytes(modelJson(model));
}

/**
 * Check a parsed model message: `version` an integer ≥ 0, `params` exactly the names of
 * `sizes`, each of its size (`decodeArrays`); an `RxgradError` names the field otherwise.
 *
 * @example
 * checkModel({ version: 0, params: { b: 'AACAPw==' } }, { b: 1 }); // { version: 0, params: { b: Float32Array [1] } }
 */
export function checkModel(raw: Record<string, unknown>, sizes: ArraySizes, field = 'model'): ModelMessage {
  return { version: positiveInt(`${field}.version`, raw.version, 0), params: decodeArrays(`${field}.params`, raw.params, sizes) };
}

/**
 * The model version a message holds (`encodeModel`'s bytes), checked against the parameter
 * sizes (`checkModel`).
 *
 * @example
 * decodeModel(new TextEncoder().encode('{"version":1,"params":{"b":"AACAPw=="}}'), { b: 1 }).params.b; // Float32Array [1]
 */
export function decodeModel(bytes: Uint8Array, sizes: ArraySizes): ModelMessage {
  const raw = messageJson('model', bytes);
  if (raw.params === undefined) throw new RxgradError('model.params', 'the parameters', undefined);
  return checkModel(raw, sizes);
}
