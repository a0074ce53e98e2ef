import * as tf from '@tensorflow/tfjs';
import { RxgradError, shown } from './RxgradError';
import { disposeTree, tensorsIn, zerosLike } from './tree';
import type { Tensors, Transform } from './types';

/** A tensor in serialized state. Non-finite values and −0 are written as strings so JSON keeps them. */
export interface SerializedTensor {
  readonly shape: number[];
  readonly dtype: SerializedDtype;
  readonly values: (number | SpecialValue)[];
}

/** The dtypes a serialized tensor may have. */
export type SerializedDtype = 'float32' | 'int32' | 'bool';

type SpecialValue = 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** Serialized transform state: a JSON-able envelope around the state tree. */
export interface SerializedState {
  readonly format: typeof FORMAT;
  readonly version: typeof VERSION;
  /** The state tree: objects, arrays, finite numbers, booleans, strings, null, and tensors as `SerializedTensor`. */
  readonly state: unknown;
}

const FORMAT = 'rxgrad-state';
const VERSION = 1;
const DTYPES: readonly string[] = ['float32', 'int32', 'bool'];
const SPECIAL: Readonly<Record<SpecialValue, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

function encodeValue(v: number): number | SpecialValue {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return Object.is(v, -0) ? '-0' : v;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function encode(value: unknown, path: string): unknown {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new RxgradError(path, 'a live tensor', shown('a disposed tensor'));
    if (!DTYPES.includes(value.dtype)) throw new RxgradError(`${path}.dtype`, `one of ${DTYPES.join(', ')}`, value.dtype);
    return { shape: [...value.shape], dtype: value.dtype, values: Array.from(value.dataSync() as ArrayLike<number>, encodeValue) };
  }
  if (Array.isArray(value)) return value.map((v, i) => encode(v, `${path}[${i}]`));
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RxgradError(path, 'a finite number (JSON cannot hold others outside tensors)', value);
    return value;
  }
  if (isPlainObject(value)) {
    if ('dtype' in value) throw new RxgradError(`${path}.dtype`, 'to be absent from a plain state object (it marks a serialized tensor)', value.dtype);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encode(v, `${path}.${k}`);
    return out;
  }
  throw new RxgradError(path, 'a tensor, number, boolean, string, null, array or plain object', value);
}

/**
 * Turn a transform's state into a JSON-able object, by parameter name as the state is keyed.
 *
 * 1. Tensors become `{ shape, dtype, values }` (float32, int32 or bool; values read back
 *    synchronously); NaN, ±Infinity and −0 inside tensors are written as strings so that
 *    `JSON.stringify` keeps them, making the round trip bit-exact.
 * 2. Objects, arrays, finite numbers, booleans, strings and null are copied as they are.
 * 3. Anything else (a disposed tensor, a function, undefined, a non-finite number outside a
 *    tensor, an object with a `dtype` key) throws an `RxgradError` naming its path.
 * 4. The state is not modified and its tensors stay owned by the caller.
 *
 * @example
 * const json = JSON.stringify(serializeState(state));
 * const again = restoreState(JSON.parse(json)); // the next update from `again` equals the one from `state`
 */
export function serializeState(state: unknown): SerializedState {
  return { format: FORMAT, version: VERSION, state: encode(state, 'state') };
}

function decodeTensor(value: Record<string, unknown>, path: string): tf.Tensor {
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'dtype,shape,values') throw new RxgradError(path, 'a serialized tensor with exactly the keys shape, dtype, values', shown(`keys ${keys}`));
  const { shape, dtype, values } = value;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RxgradError(`${path}.shape`, 'an array of non-negative integers', shape);
  }
  if (typeof dtype !== 'string' || !DTYPES.includes(dtype)) throw new RxgradError(`${path}.dtype`, `one of ${DTYPES.join(', ')}`, dtype);
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (!Array.isArray(values) || values.length !== size) {
    throw new RxgradError(`${path}.values`, `an array of ${size} values (shape [${shape.join(', ')}])`, values);
  }
  const numbers = values.map((v, i) => {
    const n = typeof v === 'string' && v in SPECIAL ? SPECIAL[v as SpecialValue] : v;
    const ok = typeof n === 'number' && (dtype === 'float32' || (Number.isInteger(n) && (dtype === 'int32' || n === 0 || n === 1)));
    if (!ok) throw new RxgradError(`${path}.values[${i}]`, dtype === 'float32' ? 'a number, "NaN", "Infinity", "-Infinity" or "-0"' : `a ${dtype} value`, v);
    return n as number;
  });
  const data = dtype === 'float32' ? Float32Array.from(numbers) : dtype === 'int32' ? Int32Array.from(numbers) : Uint8Array.from(numbers);
  return tf.tensor(data, shape as number[], dtype as SerializedDtype);
}

function decode(value: unknown, path: string, made: tf.Tensor[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => decode(v, `${path}[${i}]`, made));
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RxgradError(path, 'a finite number', value);
    return value;
  }
  if (isPlainObject(value)) {
    if ('dtype' in value) {
      const t = decodeTensor(value, path);
      made.push(t);
      return t;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v, `${path}.${k}`, made);
    return out;
  }
  throw new RxgradError(path, 'JSON data (object, array, number, boolean, string or null)', value);
}

/** Fields of a state that count updates: non-negative safe integers. */
const COUNTERS: ReadonlySet<string> = new Set(['count', 'skipped']);

function kind(value: unknown): string {
  if (value instanceof tf.Tensor) return `${value.isDisposed ? 'a disposed' : value.dtype === 'int32' ? 'an' : 'a'} ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (isPlainObject(value)) return `an object with the keys ${Object.keys(value).sort().join(', ') || '(none)'}`;
  return JSON.stringify(value) ?? String(value);
}

/**
 * Compare `value` with the layout `ref` (a fresh `init` state) and `after` (the state after one
 * update, where fields `init` leaves null — a momentum buffer — are tensors; undefined if unknown).
 */
function checkLayout(value: unknown, ref: unknown, after: unknown, path: string, key: string): void {
  const expected = ref instanceof tf.Tensor ? ref : after instanceof tf.Tensor ? after : undefined;
  const fail = (what: string): never => {
    throw new RxgradError(path, `${what} (the optimizer's state layout)`, shown(kind(value)));
  };
  if (expected || (ref === null && after === undefined)) {
    if (value === null && ref === null) return;
    const like = `${ref === null ? 'null or ' : ''}a ${expected?.dtype ?? 'float32'} tensor${expected ? ` of shape [${expected.shape.join(', ')}]` : ''}`;
    if (!(value instanceof tf.Tensor)) return fail(like);
    if (value.isDisposed) fail('a tensor not yet disposed');
    if (expected && (value.dtype !== expected.dtype || !tf.util.arraysEqual(value.shape, expected.shape))) fail(like);
    return;
  }
  if (ref === null) {
    if (value !== null) fail('null');
    return;
  }
  if (Array.isArray(ref)) {
    if (!Array.isArray(value) || value.length !== ref.length) fail(`an array of length ${ref.length}`);
    ref.forEach((r, i) => checkLayout((value as unknown[])[i], r, Array.isArray(after) ? after[i] : undefined, `${path}[${i}]`, key));
    return;
  }
  if (isPlainObject(ref)) {
    const keys = Object.keys(ref).sort();
    if (!isPlainObject(value) || Object.keys(value).sort().join(',') !== keys.join(',')) fail(`an object with the keys ${keys.join(', ') || '(none)'}`);
    const next = isPlainObject(after) ? after : undefined;
    for (const k of keys) checkLayout((value as Record<string, unknown>)[k], ref[k], next?.[k], `${path}.${k}`, k);
    return;
  }
  if (typeof ref === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail('a finite number');
    if (COUNTERS.has(key) && (!Number.isSafeInteger(value) || (value as number) < 0)) fail('a non-negative safe integer');
    return;
  }
  if (typeof value !== typeof ref) fail(`a ${typeof ref}`);
}

/**
 * Check that `state` fits `transform`'s state layout for these parameters: the structure of
 * `transform.init(params)` — the same arrays, the same object keys (parameter names included),
 * tensors of the same dtype and shape (float32 moments), not disposed, counters (`count`, `skipped`) as
 * non-negative safe integers, finite numbers. A field `init` leaves `null` (a momentum buffer
 * made on the first update, Adam's `vMax` without amsgrad) may hold the tensor one update makes.
 *
 * 1. Throws an `RxgradError` naming the first field that does not fit, what the layout expects
 *    and what the state has (an adam state given to sgd fails at `state[1].params.w`).
 * 2. Builds the layout with `init` and one update on zero gradients, frees it, and leaves
 *    `state` as it is.
 * 3. A transform with its own `checkState` (e.g. `swappable`) checks the state itself.
 *
 * @example
 * checkStateLayout(restoreState(json), sgd({ momentum: 0.9 }), params); // throws if json is an adam state
 */
export function checkStateLayout(state: unknown, transform: Transform<any>, params: Tensors, path = 'state'): void {
  if (!transform || typeof transform.init !== 'function' || typeof transform.update !== 'function') {
    throw new RxgradError('transform', 'a Transform { init, update }', transform);
  }
  if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
  if (transform.checkState) return transform.checkState(state, params, path);
  const ref = transform.init(params);
  let probe: { state: unknown; grads: Tensors; updates?: Tensors } | undefined;
  try {
    const grads = zerosLike(params);
    probe = { state: undefined, grads };
    const r = transform.update(grads, ref, params);
    probe = { state: r.state, grads, updates: r.updates };
  } catch {
    // a transform that cannot update on zeros: its layout is `init`'s alone
  }
  try {
    checkLayout(state, ref, probe?.state, path, '');
  } finally {
    const mine = new Set(tensorsIn(state));
    disposeTree([ref, probe].flatMap((v) => tensorsIn(v)).filter((t) => !mine.has(t)));
  }
}

/**
 * A copy of a transform's state with tensors of its own (`t.clone()`, sharing the immutable
 * values), so that the copy and the original can be freed independently.
 *
 * @example
 * const mine = cloneState(state); // disposeTree(state) leaves `mine` usable
 */
export function cloneState<S>(state: S): S {
  const copy = (v: unknown): unknown => {
    if (v instanceof tf.Tensor) return v.clone();
    if (Array.isArray(v)) return v.map(copy);
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = copy(v[k]);
      return out;
    }
    return v;
  };
  return copy(state) as S;
}

/**
 * Rebuild a transform's state from `serializeState`'s output (or its `JSON.parse`d text), with
 * fresh tensors owned by the caller.
 *
 * 1. The envelope must be `{ format: 'rxgrad-state', version: 1, state }`.
 * 2. Every object with a `dtype` key is a tensor: exactly `shape` (non-negative integers),
 *    `dtype` (float32, int32, bool) and `values` (as many as the shape holds; floats may be
 *    "NaN", "Infinity", "-Infinity", "-0").
 * 3. With `transform` and `params`, the state must fit that optimizer's state layout for those
 *    parameters (see `checkStateLayout`: names, keys, dtypes, shapes, counters) — an adam state
 *    given to sgd, a `count` of 0.5 or int32 moments are rejected naming the field. Without
 *    them, only the structure of 2 is checked.
 * 4. Bad input throws an `RxgradError` naming the path (e.g. `state[1].params.w.m.values[3]`);
 *    tensors already made are freed first, so a failed restore leaks nothing.
 *
 * @example
 * const opt = adam({ lr: 0.01 });
 * const state = restoreState(JSON.parse(fs.readFileSync('adam.json', 'utf8')), opt, params);
 * const { updates } = opt.update(grads, state, params);
 */
export function restoreState<S = unknown>(json: unknown, transform?: Transform<S>, params?: Tensors): S {
  if (!isPlainObject(json)) throw new RxgradError('json', `an object { format: '${FORMAT}', version: ${VERSION}, state }`, json);
  if (json.format !== FORMAT) throw new RxgradError('json.format', JSON.stringify(FORMAT), json.format);
  if (json.version !== VERSION) throw new RxgradError('json.version', String(VERSION), json.version);
  if (!('state' in json)) throw new RxgradError('json.state', 'the serialized state', undefined);
  if (transform !== undefined && params === undefined) throw new RxgradError('params', "the parameters the state belongs to (to check it against the transform's layout)", params);
  const made: tf.Tensor[] = [];
  try {
    const state = decode(json.state, 'state', made) as S;
    if (transform !== undefined) checkStateLayout(state, transform, params!);
    return state;
  } catch (e) {
    disposeTree(made);
    throw e;
  }
}
