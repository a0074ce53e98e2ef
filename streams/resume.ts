import * as tf from '@tensorflow/tfjs';
import { RxgradError, shown } from '../src/RxgradError';
import { restoreState, serializeState } from '../src/state';
import type { Params } from '../src/types';
import { listCheckpoints, readCheckpoint, type Checkpoint } from './checkpointFile';

/** What `resume` found. */
export interface Resumed {
  /** The checkpoint the run continues from — pass it as the source's `resume` option — or undefined: start from the beginning. */
  readonly checkpoint: Checkpoint | undefined;
  /** Its file. */
  readonly file?: string;
  /** Newer checkpoint files that could not be used, newest first, and why. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  /** One line saying what happened (for the log). */
  readonly message: string;
}

/**
 * Continue a run from the newest valid checkpoint in `dir` (written by `checkpoint`).
 *
 * 1. Checkpoint files are tried newest first; one that is truncated, corrupt (checksum) or of
 *    another format version is reported in `skipped` by name and the previous one is tried.
 * 2. The first valid one is loaded: its parameters must have exactly the names and shapes of
 *    `params` (else an `RxgradError` naming the parameter: it is another model's checkpoint),
 *    and are assigned to them, bit for bit.
 * 3. Returns the checkpoint (its `state` holds the source position, optimizer, evaluation …
 *    for the run's scope: pass it as the source's `resume`), its file, the skipped files and a
 *    message; with no usable checkpoint (none yet, or a missing folder), `checkpoint` is
 *    undefined and the message says the run starts from the beginning.
 *
 * @example
 * const r = resume('ckpt', model.params);
 * console.log(r.message); // "resumed from ckpt/checkpoint-000000000420.json (step 420, 4200 examples)"
 * replay(table, { batchSize: 10, resume: r.checkpoint });
 */
export function resume(dir: string, params: Params): Resumed {
  if (typeof dir !== 'string' || dir.length === 0) throw new RxgradError('dir', 'a folder path', dir);
  if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tf.Variable', params);
  const skipped: { file: string; reason: string }[] = [];
  const files = listCheckpoints(dir).reverse();
  for (const { file } of files) {
    const read = readCheckpoint(file);
    if ('reason' in read) {
      skipped.push({ file, reason: read.reason });
      continue;
    }
    const cp = read.checkpoint;
    assignParams(params, cp, file);
    const note = skipped.length === 0 ? '' : `; skipped ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`;
    return { checkpoint: cp, file, skipped, message: `resumed from ${file} (step ${cp.step}, ${cp.examples} examples)${note}` };
  }
  const why = files.length === 0 ? `no checkpoint in ${dir}` : `no valid checkpoint in ${dir} (${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')})`;
  return { checkpoint: undefined, skipped, message: `${why}: starting from the beginning` };
}

function assignParams(params: Params, cp: Checkpoint, file: string): void {
  const names = Object.keys(params);
  const saved = Object.keys(cp.params);
  for (const name of saved) if (!names.includes(name)) throw new RxgradError(`params`, `a parameter named ${name} (in ${file})`, shown(`only ${names.join(', ')}`));
  for (const name of names) {
    const s = cp.params[name];
    if (!s) throw new RxgradError(`params.${name}`, `to be in the checkpoint ${file}`, shown(`only ${saved.join(', ')}`));
    const want = params[name].shape;
    if (!Array.isArray(s.shape) || s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) {
      throw new RxgradError(`params.${name}`, `shape [${want.join(', ')}] in the checkpoint ${file}`, shown(`shape [${String(s.shape)}]`));
    }
  }
  const values = restoreState<Record<string, tf.Tensor>>({ ...serializeState(null), state: cp.params });
  for (const name of names) {
    params[name].assign(values[name]);
    values[name].dispose();
  }
}
