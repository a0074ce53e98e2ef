import { RxgradError, shown } from '../RxgradError';
import { MAX_ID_LENGTH } from './checkExample';

/** Examples sent to a run's ingest endpoint (each checked on its own as it is queued). */
export interface ExamplesMessage {
  readonly type: 'examples';
  /** The run's ingest id. */
  readonly run: string;
  /** Echoed in the answer. */
  readonly id?: number | string;
  /** `{ x, y?, id?, time? }` each. */
  readonly examples: readonly unknown[];
}

/** Labels of examples sent earlier without one, joined by their `id`. */
export interface LabelsMessage {
  readonly type: 'labels';
  readonly run: string;
  readonly id?: number | string;
  readonly labels: readonly { readonly id: string | number; readonly y: number }[];
}

/** What a producer sends to an ingest endpoint. */
export type IngestMessage = ExamplesMessage | LabelsMessage;

/** Examples or labels accepted in one message, at most. */
export const MAX_INGEST_ITEMS = 1000;

const FIELDS = { examples: ['type', 'run', 'id', 'examples'], labels: ['type', 'run', 'id', 'labels'] } as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Check a parsed ingest message against its schema, throwing an `RxgradError` (the reason the
 * message is rejected) when it does not fit.
 *
 * 1. `type` is `examples` or `labels`, with exactly the fields `type`, `run` (string of 1–200
 *    characters), optional `id` (an integer or a string of ≤ 64 characters), and `examples` or `labels`: an array of 1 to 1,000 items.
 * 2. Examples are not checked here: each is checked as it is queued, and a bad one is counted as
 *    rejected with its reason while the others go on.
 * 3. Each label is `{ id, y }`: `id` a string of ≤ 256 characters or a finite number, `y` a
 *    finite number (a bad label rejects the message, naming it).
 *
 * @example
 * parseIngestMessage({ type: 'labels', run: 'elec2', labels: [{ id: 7, y: 1 }] }); // the message
 * parseIngestMessage({ type: 'labels', run: 'elec2', labels: [{ id: 7, y: 'up' }] }); // throws "Expected `labels[0].y` a finite number, got \"up\""
 */
export function parseIngestMessage(raw: unknown): IngestMessage {
  if (!isRecord(raw)) throw new RxgradError('message', 'a JSON object', raw);
  const type = raw.type;
  if (type !== 'examples' && type !== 'labels') throw new RxgradError('type', 'examples or labels', type);
  const extra = Object.keys(raw).find((k) => !(FIELDS[type] as readonly string[]).includes(k));
  if (extra !== undefined) throw new RxgradError(extra, `absent (${type === 'examples' ? 'an' : 'a'} ${type} message has ${FIELDS[type].join(', ')})`, shown('it'));
  const run = raw.run;
  if (typeof run !== 'string' || run.length === 0 || run.length > 200) throw new RxgradError('run', 'a string of 1–200 characters', run);
  const items = raw[type];
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_INGEST_ITEMS) {
    throw new RxgradError(type, `an array of 1–${MAX_INGEST_ITEMS} items`, Array.isArray(items) ? shown(`${items.length} items`) : items);
  }
  const id = raw.id;
  if (id !== undefined && !(typeof id === 'number' && Number.isSafeInteger(id)) && !(typeof id === 'string' && id.length <= 64)) {
    throw new RxgradError('id', 'an integer or a string of ≤ 64 characters', id);
  }
  if (type === 'examples') return { type, run, ...(id !== undefined && { id }), examples: items };
  items.forEach((l, i) => {
    if (!isRecord(l) || Object.keys(l).some((k) => k !== 'id' && k !== 'y')) throw new RxgradError(`labels[${i}]`, 'an object { id, y }', l);
    if (!(typeof l.id === 'string' && l.id.length <= MAX_ID_LENGTH) && !(typeof l.id === 'number' && Number.isFinite(l.id))) {
      throw new RxgradError(`labels[${i}].id`, `a string of ≤ ${MAX_ID_LENGTH} characters or a finite number`, l.id);
    }
    if (typeof l.y !== 'number' || !Number.isFinite(l.y)) throw new RxgradError(`labels[${i}].y`, 'a finite number', l.y);
  });
  return { type, run, ...(id !== undefined && { id }), labels: items as LabelsMessage['labels'] };
}
