import { mkdirSync } from 'node:fs';
import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { CHECKPOINT_VERSION, removeTempFiles, writeCheckpoint, type Checkpoint } from '../checkpointFile';
import { SOURCE_KEY, type SourcePosition } from '../../src/online/SourcePosition';
import { serializeState, type SerializedTensor } from '../../src/state';
import type { Params } from '../../src/types';
import { inRange, positiveInt } from '../../src/validate';
import { operate } from '../operate';
import { scopeOf } from '../RunScope';
import type { StepResult } from '../Step';

/** Options of `checkpoint`. */
export interface CheckpointOptions {
  /** The folder (created if missing). */
  readonly dir: string;
  /** The parameters being trained (their values after each step are saved). */
  readonly params: Params;
  /** Write after every step whose number is a multiple of this. */
  readonly everySteps?: number;
  /** Write after the first step at least this many seconds after the last write (or the start). */
  readonly everySeconds?: number;
  /** Checkpoints kept (default 3): the newest. */
  readonly keep?: number;
}

/**
 * Save the run so that it can continue after a crash (even `kill -9`) exactly as if it had
 * never stopped: put it after `applyUpdates`; continue with `resume(dir, params)`.
 *
 * 1. A checkpoint is `{ version, step, examples, params, state, result }`: the parameters
 *    after the step (float32 values by name, exact), `state` = the run's `scopeOf(result).save()`
 *    — every checkpointable part: the source position, the optimizer, the evaluation, drift
 *    detectors, plateau … — and the step's result itself (what a resumed run that has nothing
 *    left to do can report).
 * 2. It is written synchronously while the step's result passes, before the next step starts:
 *    parameters and every part's state are then those of exactly the same step. (So the path
 *    from the source to here must be synchronous; a source position ahead of the result — an
 *    `observeOn` or `delay` in between — fails the run instead of saving a mixed state.) The
 *    write at the end saves the state after everything the source gave, which may include steps
 *    that had nothing to learn (not passed on by `progressiveValidation`).
 * 3. Written atomically (`writeCheckpoint`: temp file, fsync, rename, fsync of the folder,
 *    SHA-256 checksum) after every step that is a multiple of `everySteps`, and/or after the
 *    first step `everySeconds` after the last write; and once more at the end (complete) if the
 *    last step was not saved. Only the `keep` newest remain. Temp files left by an interrupted
 *    write are removed at the start.
 *    Once a write is durable, the run's parts are told (`RunScope.committed(state)`): a
 *    durable source (`jetstream`) acks the messages whose updates it holds.
 * 4. Results pass on unchanged. A result without a run (no `scopeOf`: made by hand, or copied by
 *    an operator between `applyUpdates` and `checkpoint`) fails the run.
 *
 * @example
 * const r = resume('ckpt', model.params);
 * replay(table, { batchSize: 10, resume: r.checkpoint }).pipe(
 *   progressiveValidation(model, { metrics: [accuracy()] }),
 *   gradients(model.loss, model.params), optimize(adam({ lr: 0.01 })), applyUpdates(model.params),
 *   checkpoint({ dir: 'ckpt', params: model.params, everySteps: 100, keep: 3 }),
 * ).subscribe();
 */
export function checkpoint(options: CheckpointOptions): OperatorFunction<StepResult, StepResult> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { dir, params, everySteps?, everySeconds?, keep? }', options);
  const { dir, params } = options;
  if (typeof dir !== 'string' || dir.length === 0) throw new RxgradError('dir', 'a folder path', dir);
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  if (options.everySteps === undefined && options.everySeconds === undefined) throw new RxgradError('everySteps', 'a number of steps (or `everySeconds`): when to write', undefined);
  const everySteps = options.everySteps === undefined ? undefined : positiveInt('everySteps', options.everySteps);
  const everyMs = options.everySeconds === undefined ? undefined : inRange('everySeconds', options.everySeconds, { min: 0, minOpen: true }) * 1000;
  const keep = positiveInt('keep', options.keep ?? 3);

  return operate<StepResult, StepResult>((out) => {
    mkdirSync(dir, { recursive: true });
    removeTempFiles(dir);
    let lastWrite = performance.now();
    let last: StepResult | undefined;
    let saved: StepResult | undefined;

    const write = (result: StepResult, ending: boolean) => {
      const scope = scopeOf(result);
      if (!scope) throw new RxgradError('result', 'a StepResult of a run (from an rxgrad source; put checkpoint right after applyUpdates: a copied result loses its run)', shown(`step ${result.step} without one`));
      const state = scope.save();
      const source = state[SOURCE_KEY] as SourcePosition | undefined;
      if (!ending && source && source.step > result.step) {
        throw new RxgradError(SOURCE_KEY, `at step ≤ ${result.step} when its result is saved (nothing asynchronous between the source and checkpoint)`, shown(`step ${source.step}`));
      }
      const cp: Checkpoint = {
        version: CHECKPOINT_VERSION,
        step: result.step,
        examples: result.examples,
        params: serializeState(params).state as Record<string, SerializedTensor>,
        state,
        result: result as unknown as Record<string, unknown>,
      };
      writeCheckpoint(dir, cp, keep);
      // Durable now: the run's parts hear of it (a durable source acks the messages it covers).
      scope.committed(state);
      lastWrite = performance.now();
      saved = result;
    };

    return {
      next: (result) => {
        last = result;
        const due = (everySteps !== undefined && result.step % everySteps === 0) || (everyMs !== undefined && performance.now() - lastWrite >= everyMs);
        if (due) write(result, false);
        out.next(result);
      },
      complete: () => {
        if (last && saved !== last) write(last, true);
      },
    };
  });
}
