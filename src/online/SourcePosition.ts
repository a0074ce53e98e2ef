import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';

/** The checkpoint key a source registers its `SourcePosition` under. */
export const SOURCE_KEY = 'source';

/** What a source registers in its run's checkpoint under `SOURCE_KEY`. */
export interface SourcePosition {
  /** Steps emitted so far. */
  readonly step: number;
  /** Examples handed to training so far. */
  readonly examples: number;
  /** The source's own position after the last example handed to training (a file's byte offset). */
  readonly position?: number;
}

/**
 * Check a source position read back from a checkpoint (`undefined`: none, start from the
 * beginning): `step` and `examples` integers ≥ 0, `position` absent or an integer ≥ 0.
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
  if (s.position === undefined) return { step, examples };
  return { step, examples, position: positiveInt('resume.state.source.position', s.position, 0) };
}
