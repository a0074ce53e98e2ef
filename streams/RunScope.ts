import { RxgradError } from '../src/RxgradError';

/** A part of a run whose state goes into checkpoints (an optimizer, metrics, a detector, the source). */
export interface Checkpointable {
  /** The part's state as JSON-able data, as of the last step it handled. */
  save(): unknown;
}

/**
 * One run (one subscription of a source): what its steps share.
 *
 * 1. **Checkpointable state.** Each stateful operator registers a part under a key that is unique
 *    in the run (`register('optimizer', …)`); `save()` collects every part's state, and a scope
 *    created from a checkpoint's data hands each part its state back (`restored(key)`).
 *
 * @example
 * const scope = new RunScope(checkpoint?.state);
 * scope.register('metrics', { save: () => metricState });
 * const data = scope.save(); // { metrics: … }
 */
export class RunScope {
  private readonly parts = new Map<string, Checkpointable>();

  constructor(private readonly restoredState: Readonly<Record<string, unknown>> = {}) {}

  /** Register a part; its key must be unique in the run. */
  register(key: string, part: Checkpointable): void {
    if (this.parts.has(key)) throw new RxgradError('key', `a checkpoint key not yet used in this run (${[...this.parts.keys()].join(', ')})`, key);
    this.parts.set(key, part);
  }

  /** The state a part had in the checkpoint this run resumes from, if any. */
  restored<T = unknown>(key: string): T | undefined {
    return Object.hasOwn(this.restoredState, key) ? (this.restoredState[key] as T) : undefined;
  }

  /** Every registered part's state, by key. */
  save(): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, part] of this.parts) out[key] = part.save();
    return out;
  }
}

const scopes = new WeakMap<object, RunScope>();

/**
 * The run a `StepResult` came from (recorded by `applyUpdates`), for operators after it that
 * need the run's state (`checkpoint`). Results stay plain data: the link lives outside them.
 *
 * @example
 * const scope = scopeOf(result); // undefined for a step made without a source
 */
export function scopeOf(result: object): RunScope | undefined {
  return scopes.get(result);
}

/** Record that `result` belongs to `scope` (called by `applyUpdates`). */
export function linkScope(result: object, scope: RunScope | undefined): void {
  if (scope) scopes.set(result, scope);
}
