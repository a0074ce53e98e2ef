import { base64ToFloat32, float32ToBase64 } from '../parallel/float32Base64';
import { RxgradError, shown } from '../RxgradError';
import { positiveInt } from '../validate';
import { sourcePosition, type SourcePosition } from './SourcePosition';

/** A versioned copy of a model's parameters, as a model store keeps it (`Snapshot` has this shape). */
export interface ModelValues {
  /** 1, 2, 3 … */
  readonly version: number;
  /** The step whose update the parameters include. */
  readonly step: number;
  /** Examples seen by then. */
  readonly examples: number;
  /** The run's source position at that step, if known. */
  readonly source?: SourcePosition;
  /** The highest JetStream stream sequence whose example is in the model, if known. */
  readonly sequence?: number;
  /** The parameters' float32 values by name (row-major). */
  readonly params: Readonly<Record<string, Float32Array>>;
}

/** The format tag and version of an encoded model. */
const FORMAT = 'rxgrad-model/1';

/**
 * Encode model values compactly and exactly, as the UTF-8 JSON a model store keeps:
 *
 * 1. `{ "format": "rxgrad-model/1", version, step, examples, source?, sequence?, params }`, where each
 *    parameter is the base64 of its float32 bytes (`float32ToBase64`, little-endian): every bit is kept (NaN
 *    payloads, −0, ±Infinity), in 4/3 of the bytes (a JSON number array takes 2–3 times as many).
 * 2. The inverse is `decodeSnapshot`.
 *
 * @example
 * const bytes = encodeSnapshot({ version: 1, step: 10, examples: 80, params: { b: Float32Array.of(0.5) } });
 * new TextDecoder().decode(bytes); // '{"format":"rxgrad-model/1","version":1,"step":10,"examples":80,"params":{"b":"AAAAPw=="}}'
 */
export function encodeSnapshot(model: ModelValues): Uint8Array {
  const params: Record<string, string> = {};
  for (const [name, values] of Object.entries(model.params)) params[name] = float32ToBase64(values);
  const { version, step, examples, source, sequence } = model;
  return Buffer.from(JSON.stringify({ format: FORMAT, version, step, examples, ...(source && { source }), ...(sequence !== undefined && { sequence }), params }), 'utf8');
}

/**
 * Decode what `encodeSnapshot` made (bit for bit), checking it on the way:
 *
 * 1. The format must be `rxgrad-model/1`; `version` an integer ≥ 1, `step` and `examples`
 *    integers ≥ 0, `source` absent or a source position, `sequence` absent or an integer ≥ 1,
 *    `params` a non-empty record of canonical base64 strings of whole float32 values
 *    (`base64ToFloat32`).
 * 2. Anything else throws an `RxgradError` naming the field under `where` (e.g.
 *    `model "elec2" revision 7.params.w`).
 *
 * @example
 * decodeSnapshot(encodeSnapshot(s), 'model'); // equal to s, with fresh Float32Arrays
 */
export function decodeSnapshot(bytes: Uint8Array, where: string): ModelValues {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new RxgradError(where, 'an encoded model (JSON)', shown(`${bytes.byteLength} bytes that do not parse (${(err as Error).message})`));
  }
  if (data === null || typeof data !== 'object') throw new RxgradError(where, 'an encoded model (a JSON object)', data);
  if (data.format !== FORMAT) throw new RxgradError(`${where}.format`, `"${FORMAT}"`, data.format);
  const version = positiveInt(`${where}.version`, data.version);
  const step = positiveInt(`${where}.step`, data.step, 0);
  const examples = positiveInt(`${where}.examples`, data.examples, 0);
  const source = data.source === undefined ? undefined : storedPosition(data.source, `${where}.source`);
  const sequence = data.sequence === undefined ? undefined : positiveInt(`${where}.sequence`, data.sequence);
  const encoded = data.params as Record<string, unknown>;
  if (encoded === null || typeof encoded !== 'object' || Object.keys(encoded).length === 0) throw new RxgradError(`${where}.params`, 'a non-empty record of base64 float32 values', encoded);
  const params: Record<string, Float32Array> = {};
  for (const [name, text] of Object.entries(encoded)) params[name] = base64ToFloat32(`${where}.params.${name}`, text);
  return { version, step, examples, ...(source && { source }), ...(sequence !== undefined && { sequence }), params };
}

/** `sourcePosition`, its errors naming the field under `field` (not a checkpoint's `resume.state.source`). */
function storedPosition(saved: unknown, field: string): SourcePosition | undefined {
  try {
    return sourcePosition(saved);
  } catch (err) {
    if (err instanceof RxgradError && err.field.startsWith('resume.state.source')) throw new RxgradError(field + err.field.slice('resume.state.source'.length), err.expected, err.got);
    throw err;
  }
}
