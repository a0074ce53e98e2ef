import { RxgradError, shown } from '../../src/RxgradError';
import type { ControlMessage } from './protocol';

/**
 * The built-in control message types (a type registered with `MetricsServer.handle` must be another).
 *
 * @example
 * CONTROL_TYPES.includes('set'); // true
 */
export const CONTROL_TYPES: readonly ControlMessage['type'][] = ['pause', 'resume', 'stop', 'set', 'restart', 'optimizer'];
const FIELDS: Record<ControlMessage['type'], readonly string[]> = {
  pause: ['type', 'run', 'id'],
  resume: ['type', 'run', 'id'],
  stop: ['type', 'run', 'id'],
  set: ['type', 'run', 'id', 'name', 'value'],
  restart: ['type', 'run', 'id', 'hyper'],
  optimizer: ['type', 'run', 'id', 'name'],
};
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const MAX_HYPER = 32;
const NONE: ReadonlySet<string> = new Set();

/**
 * A message of a type registered with `MetricsServer.handle`: the parsed JSON object, copied
 * into a null-prototype object (look fields up directly: no inherited `constructor`, `toString` …).
 */
export type CustomMessage = { readonly type: string; readonly id?: number | string } & Readonly<Record<string, unknown>>;

/** The outcome of `parseControlMessage`: the message, or why it was rejected (with its `id` if one could be read). */
export type ParsedControl =
  | { readonly ok: true; readonly message: ControlMessage; readonly custom?: undefined }
  | { readonly ok: true; readonly custom: CustomMessage; readonly message?: undefined }
  | { readonly ok: false; readonly reason: string; readonly id?: number | string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(field: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new RxgradError(field, `a string of 1–${max} characters`, v);
  return v;
}

function hyperName(field: string, v: unknown): string {
  if (typeof v !== 'string' || !NAME.test(v)) throw new RxgradError(field, 'a hyperparameter name (letters, digits, _ . -; ≤ 64)', v);
  return v;
}

function finite(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RxgradError(field, 'a finite number', v);
  return v;
}

function readId(v: unknown): number | string | undefined {
  if (v === undefined) return undefined;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length <= 64)) return v;
  throw new RxgradError('id', 'an integer or a string of ≤ 64 characters', v);
}

/**
 * Check one client frame against the control schema, never throwing.
 *
 * 1. Binary frames and frames over `maxBytes` (UTF-8) are rejected before parsing.
 * 2. The text must be a JSON object whose `type` is pause, resume, stop, set or restart, with
 *    exactly that type's fields: `run` (string ≤ 200), optional `id` (integer or string ≤ 64);
 *    `set` adds `name` (a hyperparameter name) and `value` (finite number); `restart` adds
 *    `hyper` (≤ 32 names → finite numbers); `optimizer` adds `name` (an optimizer name: letters,
 *    digits, _ . -; ≤ 64). Unknown fields are rejected.
 * 3. A rejection says why ("Expected `value` a finite number, got "0.1"") and echoes the
 *    message's `id` when it was readable.
 * 4. A `type` in `custom` (types registered with `MetricsServer.handle`) is not checked further:
 *    the object comes back as `custom` (null-prototype copy, `id` checked) for its handler.
 * 5. `hyper` is a null-prototype record: a name such as `__proto__` or `constructor` stays an
 *    ordinary own key (for the run to reject), never a prototype.
 *
 * @example
 * parseControlMessage('{"type":"set","run":"adam","name":"lr","value":0.01}', false, 4096);
 * // { ok: true, message: { type: 'set', run: 'adam', name: 'lr', value: 0.01 } }
 * parseControlMessage('{"type":"jump"}', false, 4096).ok; // false
 */
export function parseControlMessage(data: string | Uint8Array, isBinary: boolean, maxBytes: number, custom: ReadonlySet<string> = NONE): ParsedControl {
  if (isBinary || typeof data !== 'string' && !(data instanceof Uint8Array)) return { ok: false, reason: 'Expected a JSON text frame, got a binary frame' };
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) return { ok: false, reason: `Expected a message of ≤ ${maxBytes} bytes, got ${bytes} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: `Expected JSON, got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)}` };
  }
  let id: number | string | undefined;
  try {
    if (!isRecord(parsed)) throw new RxgradError('message', 'a JSON object', parsed);
    // Own fields only: nothing is ever read from Object.prototype.
    const raw: Record<string, unknown> = Object.assign(Object.create(null), parsed);
    id = readId(raw.id);
    const type = raw.type;
    if (typeof type === 'string' && custom.has(type)) return { ok: true, custom: raw as CustomMessage };
    if (!CONTROL_TYPES.includes(type as ControlMessage['type'])) throw new RxgradError('type', `one of ${[...CONTROL_TYPES, ...custom].join(', ')}`, type);
    const allowed = FIELDS[type as ControlMessage['type']];
    const extra = Object.keys(raw).find((k) => !allowed.includes(k));
    if (extra !== undefined) throw new RxgradError(extra, `absent (a ${type} message has ${allowed.join(', ')})`, shown('it'));
    const base = { type, run: str('run', raw.run, 200), ...(id !== undefined && { id }) };
    if (type === 'optimizer') {
      if (typeof raw.name !== 'string' || !NAME.test(raw.name)) throw new RxgradError('name', 'an optimizer name (letters, digits, _ . -; ≤ 64)', raw.name);
      return { ok: true, message: { ...base, type, name: raw.name } };
    }
    if (type === 'set') return { ok: true, message: { ...base, type, name: hyperName('name', raw.name), value: finite('value', raw.value) } };
    if (type === 'restart') {
      if (!isRecord(raw.hyper)) throw new RxgradError('hyper', 'an object of hyperparameter values', raw.hyper);
      const entries = Object.entries(raw.hyper);
      if (entries.length > MAX_HYPER) throw new RxgradError('hyper', `at most ${MAX_HYPER} entries`, shown(`${entries.length}`));
      const hyper: Record<string, number> = Object.create(null);
      for (const [k, v] of entries) hyper[hyperName('hyper name', k)] = finite(`hyper.${k}`, v);
      return { ok: true, message: { ...base, type, hyper } };
    }
    return { ok: true, message: { ...base, type: type as 'pause' | 'resume' | 'stop' } };
  } catch (err) {
    return { ok: false, reason: (err as Error).message, ...(id !== undefined && { id }) };
  }
}
