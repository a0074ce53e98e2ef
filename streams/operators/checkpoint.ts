import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { CHECKPOINT_VERSION, encodeCheckpoint, type Checkpoint } from '../checkpointFile';
import type { CheckpointStore } from '../CheckpointStore';
import { fileCheckpoints } from '../fileCheckpoints';
import { SOURCE_KEY, type SourcePosition } from '../../src/online/SourcePosition';
import { serializeState, type SerializedTensor } from '../../src/state';
import type { Params } from '../../src/types';
import { inRange, positiveInt } from '../../src/validate';
import { operate } from '../operate';
import { scopeOf, type RunScope } from '../RunScope';
import type { StepResult } from '../Step';

/** Options of `checkpoint`. */
export interface CheckpointOptions {
  /** The folder (created if missing): `fileCheckpoints(dir)`. Give this or `store`. */
  readonly dir?: string;
  /** Where to keep the checkpoints instead of a local folder: e.g. `natsCheckpoints(…)` (a run can then restart on another machine). */
  readonly store?: CheckpointStore;
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
 * never stopped: put it after `applyUpdates`; continue with `resume(dir, params)` (or
 * `await resumeFrom(store, params)`).
 *
 * 1. A checkpoint is `{ version, step, examples, params, state, result }`: the parameters
 *    after the step (float32 values by name, exact), `state` = the run's `scopeOf(result).save()`
 *    — every checkpointable part: the source position, the optimizer, the evaluation, drift
 *    detectors, plateau … — and the step's result itself (what a resumed run that has nothing
 *    left to do can report).
 * 2. It is captured synchronously while the step's result passes, before the next step starts
 *    (encoded with its SHA-256 line, `encodeCheckpoint`): parameters and every part's state are
 *    then those of exactly the same step. (So the path from the source to here must be
 *    synchronous; a source position ahead of the result — an `observeOn` or `delay` in between —
 *    fails the run instead of saving a mixed state.) The capture at the end saves the state after
 *    everything the source gave, which may include steps that had nothing to learn (not passed
 *    on by `progressiveValidation`).
 * 3. Taken after every step that is a multiple of `everySteps`, and/or after the first step
 *    `everySeconds` after the last one; and once more at the end (complete) if the last step was
 *    not saved. Written atomically to the store (`dir`: `fileCheckpoints`, temp file, fsync,
 *    rename, fsync of the folder, written before the next step; or `store`), which keeps only
 *    the `keep` newest and, when the run starts, removes what an interrupted write left.
 * 4. An asynchronous store (`natsCheckpoints`) writes in the background, one write at a time, in
 *    step order; a checkpoint captured while another waits replaces it (the newer one holds
 *    everything the older one did), so memory stays bounded when steps outrun the store. When
 *    the steps complete, the output completes after the last write is durable; a failed write
 *    fails the run. After an error or an unsubscribe, the write in flight and the one waiting
 *    still finish (and are reported durable), then the store is closed (`close()`).
 * 5. **Durable moment.** Once the store has confirmed a write (synchronous store: when it
 *    returns; asynchronous: when its promise resolves) — never before, never for a failed or
 *    replaced one — the run's parts are told (`RunScope.committed(state)`): a durable source
 *    (`jetstream`) acks the messages whose updates it holds.
 * 6. Results pass on unchanged. A result without a run (no `scopeOf`: made by hand, or copied by
 *    an operator between `applyUpdates` and `checkpoint`) fails the run.
 *
 * @example
 * const r = resume('ckpt', model.params);
 * replay(table, { batchSize: 10, resume: r.checkpoint }).pipe(
 *   progressiveValidation(model, { metrics: [accuracy()] }),
 *   gradients(model.loss, model.params), optimize(adam({ lr: 0.01 })), applyUpdates(model.params),
 *   checkpoint({ dir: 'ckpt', params: model.params, everySteps: 100, keep: 3 }),
 * ).subscribe();
 * // or, to restart on any machine: checkpoint({ store: natsCheckpoints({ servers, key: 'run-1' }), params: model.params, everySteps: 100 })
 * // with `const r = await resumeFrom(natsCheckpoints({ servers, key: 'run-1' }), model.params)`
 */
export function checkpoint(options: CheckpointOptions): OperatorFunction<StepResult, StepResult> {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { dir or store, params, everySteps?, everySeconds?, keep? }', options);
  const { dir, params } = options;
  if ((dir === undefined) === (options.store === undefined)) throw new RxgradError('dir', 'a folder path, or a `store` instead (one of the two)', options.store === undefined ? dir : shown('both `dir` and `store`'));
  const store = options.store ?? fileCheckpoints(dir!);
  if (store === null || typeof store !== 'object' || typeof store.write !== 'function' || typeof store.open !== 'function') throw new RxgradError('store', 'a CheckpointStore (fileCheckpoints, natsCheckpoints …)', store);
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  if (options.everySteps === undefined && options.everySeconds === undefined) throw new RxgradError('everySteps', 'a number of steps (or `everySeconds`): when to write', undefined);
  const everySteps = options.everySteps === undefined ? undefined : positiveInt('everySteps', options.everySteps);
  const everyMs = options.everySeconds === undefined ? undefined : inRange('everySeconds', options.everySeconds, { min: 0, minOpen: true }) * 1000;
  const keep = positiveInt('keep', options.keep ?? 3);

  const steps = (writes: OrderedWrites) =>
    operate<StepResult, StepResult>((out) => {
      store.open();
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
        writes.put({ step: result.step, content: encodeCheckpoint(cp), scope, state });
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

  return (source) =>
    new Observable<StepResult>((subscriber) => {
      const writes = orderedWrites(store, keep, (err) => subscriber.error(err));
      // Linked to the output, so that a downstream unsubscribe during a synchronous emission reaches the source at once.
      const inner = new Subscriber<StepResult>({
        next: (r) => subscriber.next(r),
        error: (err: unknown) => subscriber.error(err),
        complete: () => (writes.idle ? subscriber.complete() : void writes.settled().then(() => subscriber.complete())),
      });
      subscriber.add(inner);
      subscriber.add(() => void writes.settled().then(() => store.close()));
      source.pipe(steps(writes)).subscribe(inner);
    });
}

/** A checkpoint captured at its step, to be written. */
interface Captured {
  readonly step: number;
  /** `encodeCheckpoint`'s text. */
  readonly content: string;
  /** The run and the very state object its `save()` returned (for `committed`). */
  readonly scope: RunScope;
  readonly state: Record<string, unknown>;
}

/** The writes of one subscription: in order, one at a time, the newest waiting one kept. */
interface OrderedWrites {
  put(c: Captured): void;
  /** No write in flight. */
  readonly idle: boolean;
  /** Resolves when no write is in flight (after a failure too: `fail` has been called). */
  settled(): Promise<void>;
}

function orderedWrites(store: CheckpointStore, keep: number, fail: (err: unknown) => void): OrderedWrites {
  let waiting: Captured | undefined;
  let running: Promise<void> | undefined;
  // The durable moment: the store has confirmed the write of this checkpoint.
  const durable = (c: Captured) => c.scope.committed(c.state);
  const drain = async (first: Promise<string>, c: Captured) => {
    try {
      await first;
      durable(c);
      while (waiting) {
        const next = waiting;
        waiting = undefined;
        await store.write(next.step, next.content, keep);
        durable(next);
      }
    } catch (err) {
      waiting = undefined;
      fail(err);
    } finally {
      running = undefined; // synchronously after the last check of `waiting`: no checkpoint is left behind
    }
  };
  return {
    put: (c) => {
      if (running) {
        waiting = c;
        return;
      }
      const written = store.write(c.step, c.content, keep);
      if (typeof written === 'string') return durable(c);
      running = drain(written, c);
    },
    get idle() {
      return running === undefined;
    },
    settled: () => running ?? Promise.resolve(),
  };
}
