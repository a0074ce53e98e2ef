import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';

/** The checkpoint key a source registers its `SourcePosition` under. */
export const SOURCE_KEY = 'source';

/**
 * A push source's ingest counters as of a checkpoint, for the examples already settled (trained,
 * dropped or rejected; the queued ones are not counted: a file source reads them again after
 * its position, a socket's are lost with the process). Trained is the position's `examples`.
 */
export interface IngestCounts {
  readonly received: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly lastReason?: string;
}

/** What a source registers in its run's checkpoint under `SOURCE_KEY`. */
export interface SourcePosition {
  /** Steps emitted so far. */
  readonly step: number;
  /** Examples handed to training so far. */
  readonly examples: number;
  /** The source's own position after the last example handed to training (a file's byte offset). */
  readonly position?: number;
  /** A push source's counters, so a resumed run reports what an uninterrupted one would. */
  readonly ingest?: IngestCounts;
}

/**
 * Check a source position read back from a checkpoint (`undefined`: none, start from the
 * beginning): `step` and `examples` integers ≥ 0, `position` absent or an integer ≥ 0, `ingest`
 * absent or `{ received, dropped, rejected, lastReason? }` — integers ≥ 0 with received =
 * examples + dropped + rejected, and a string.
 *
 * @example
 * sourcePosition({ step: 3, examples: 30 }); // { step: 3, examples: 30 }
 * sourcePosition({ step: -1, examples: 0 }); // throws "Expected `resume.state.source.step` an integer ≥ 0, got -1"
 */
export function sourcePosition(saved: unknown): SourcePosition | undefined {
  if (saved === undefined) return undefined;
  if (saved === null || typeof saved !== 'object') throw new RxgradError('resume.state.source', 'a source position { step, examples, position? }', saved);
  const s = saved as Partial<SourcePosition>;
  const step = positiveInt('resume.state.source.step', s.step, 0);
  const examples = positiveInt('resume.state.source.examples', s.examples, 0);
  const position = s.position === undefined ? undefined : positiveInt('resume.state.source.position', s.position, 0);
  const ingest = s.ingest === undefined ? undefined : ingestCounts(s.ingest, examples);
  return { step, examples, ...(position !== undefined && { position }), ...(ingest && { ingest }) };
}

function ingestCounts(saved: unknown, examples: number): IngestCounts {
  const field = 'resume.state.source.ingest';
  if (saved === null || typeof saved !== 'object') throw new RxgradError(field, 'counters { received, dropped, rejected, lastReason? }', saved);
  const c = saved as Partial<IngestCounts>;
  const received = positiveInt(`${field}.received`, c.received, 0);
  const dropped = positiveInt(`${field}.dropped`, c.dropped, 0);
  const rejected = positiveInt(`${field}.rejected`, c.rejected, 0);
  if (received !== examples + dropped + rejected) {
    throw new RxgradError(`${field}.received`, `examples + dropped + rejected = ${examples + dropped + rejected}`, received);
  }
  if (c.lastReason !== undefined && typeof c.lastReason !== 'string') throw new RxgradError(`${field}.lastReason`, 'a string or absent', c.lastReason);
  return { received, dropped, rejected, ...(c.lastReason !== undefined && { lastReason: c.lastReason }) };
}
