import * as tf from '@tensorflow/tfjs';
import { RxgradError, shown } from '../src/RxgradError';
import { restoreState, serializeState } from '../src/state';
import type { Params } from '../src/types';
import { decodeCheckpoint, listCheckpoints, readCheckpoint, type Checkpoint } from './checkpointFile';
import type { CheckpointStore } from './CheckpointStore';

/** What `resume` found. */
export interface Resumed {
  /** The checkpoint the run continues from — pass it as the source's `resume` option — or undefined: start from the beginning. */
  readonly checkpoint: Checkpoint | undefined;
  /** Its file (its name in the store, for `resumeFrom`). */
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
    return resumed(params, read.checkpoint, file, skipped);
  }
  return fromTheBeginning(dir, files.length, skipped);
}

/**
 * `resume` for any checkpoint store (`fileCheckpoints`, `natsCheckpoints` …): continue a run from
 * the newest valid checkpoint in `store` — e.g. on another machine, from checkpoints kept in NATS.
 *
 * 1. The store's checkpoints are read newest first; each is verified (`decodeCheckpoint`: the
 *    SHA-256 line, the format version). One that is truncated, corrupt or unreadable is reported
 *    in `skipped` by name and the previous one is tried.
 * 2. The first valid one is loaded into `params` (same names and shapes, else an `RxgradError`
 *    naming the parameter), bit for bit; then the store is closed (`close()`: the next use,
 *    `checkpoint({ store })`, opens it again).
 * 3. Resolves like `resume`: the checkpoint (pass it as the source's `resume`) or undefined, its
 *    name as `file`, the skipped ones and a message.
 *
 * @example
 * const store = natsCheckpoints({ servers: 'nats://127.0.0.1:4222', key: 'elec2' });
 * const r = await resumeFrom(store, model.params);
 * replay(table, { batchSize: 8, resume: r.checkpoint }).pipe(…, checkpoint({ store, params: model.params, everySteps: 100 }));
 */
export async function resumeFrom(store: CheckpointStore, params: Params): Promise<Resumed> {
  if (store === null || typeof store !== 'object' || typeof store.list !== 'function' || typeof store.read !== 'function') throw new RxgradError('store', 'a CheckpointStore (fileCheckpoints, natsCheckpoints …)', store);
  if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tf.Variable', params);
  try {
    const skipped: { file: string; reason: string }[] = [];
    const entries = [...(await store.list())].reverse();
    for (const { name } of entries) {
      let content: string;
      try {
        content = await store.read(name);
      } catch (err) {
        skipped.push({ file: name, reason: `unreadable (${(err as Error).message})` });
        continue;
      }
      const read = decodeCheckpoint(content);
      if ('reason' in read) skipped.push({ file: name, reason: read.reason });
      else return resumed(params, read.checkpoint, name, skipped);
    }
    return fromTheBeginning(store.where, entries.length, skipped);
  } finally {
    await store.close();
  }
}

/** Load `cp` (from `file`) into `params` and say so. */
function resumed(params: Params, cp: Checkpoint, file: string, skipped: readonly { file: string; reason: string }[]): Resumed {
  assignParams(params, cp, file);
  const note = skipped.length === 0 ? '' : `; skipped ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}`;
  return { checkpoint: cp, file, skipped, message: `resumed from ${file} (step ${cp.step}, ${cp.examples} examples)${note}` };
}

/** No usable checkpoint among `tried` in `where`. */
function fromTheBeginning(where: string, tried: number, skipped: readonly { file: string; reason: string }[]): Resumed {
  const why = tried === 0 ? `no checkpoint in ${where}` : `no valid checkpoint in ${where} (${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')})`;
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
