import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SerializedTensor } from '../src/state';

/** The format version `checkpoint` writes and `resume` reads. */
export const CHECKPOINT_VERSION = 1;

/** What a checkpoint file holds: everything a run needs to continue exactly after step `step`. */
export interface Checkpoint {
  readonly version: typeof CHECKPOINT_VERSION;
  /** The last step whose update is in `params`. */
  readonly step: number;
  /** Examples seen by then. */
  readonly examples: number;
  /** The parameters after that step, by name (float32 values, exact). */
  readonly params: Readonly<Record<string, SerializedTensor>>;
  /** `RunScope.save()`: every checkpointable part of the run (source position, optimizer, evaluation, drift …). */
  readonly state: Readonly<Record<string, unknown>>;
  /** The step's `StepResult` (plain numbers): what the run last reported, e.g. for a resumed run that has nothing left to do. */
  readonly result: Readonly<Record<string, unknown>>;
}

const NAME = /^checkpoint-(\d{12})\.json$/;

/**
 * The file name of the checkpoint of step `step`: `checkpoint-000000000042.json` (names sort as steps).
 *
 * @example
 * checkpointName(42); // 'checkpoint-000000000042.json'
 */
export function checkpointName(step: number): string {
  return `checkpoint-${String(step).padStart(12, '0')}.json`;
}

/**
 * The checkpoint files in `dir` as `{ file, step }`, oldest first (temp files and other files
 * are not listed; a missing folder has none).
 *
 * @example
 * listCheckpoints('ckpt'); // [{ file: 'ckpt/checkpoint-000000000010.json', step: 10 }, …]
 */
export function listCheckpoints(dir: string): { readonly file: string; readonly step: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => NAME.test(n))
    .sort()
    .map((n) => ({ file: join(dir, n), step: Number(NAME.exec(n)![1]) }));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A checkpoint's content as every store keeps it: the JSON line, then `sha256:<hex of that
 * line>` on a second line. Encoding takes the state as it is now (a copy: parts may change their
 * state in place later).
 *
 * @example
 * encodeCheckpoint(cp); // '{"version":1,"step":10,…}\nsha256:9f86d0…\n'
 */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  const text = JSON.stringify(checkpoint);
  return `${text}\nsha256:${sha256(text)}\n`;
}

/**
 * Write a checkpoint atomically, so that a crash at any moment leaves either the previous
 * files or the new complete one (never a partial file under a checkpoint's name).
 *
 * 1. The content is `encodeCheckpoint(checkpoint)`: the JSON line and its SHA-256 line.
 * 2. It is written to a temp file (`.checkpoint-….json.tmp`), fsynced, renamed to its name,
 *    and the folder is fsynced (the rename is durable).
 * 3. Then only the `keep` newest checkpoints up to this step remain: older ones are removed,
 *    and so are those of later steps (left by an earlier run this one replaces).
 *
 * @example
 * writeCheckpoint('ckpt', { version: 1, step: 10, examples: 100, params, state, result }, 3); // 'ckpt/checkpoint-000000000010.json'
 */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint, keep: number): string {
  return writeCheckpointContent(dir, checkpoint.step, encodeCheckpoint(checkpoint), keep);
}

/**
 * `writeCheckpoint` for content already encoded (`encodeCheckpoint`) as the checkpoint of `step`.
 *
 * @example
 * writeCheckpointContent('ckpt', 10, encodeCheckpoint(cp), 3); // 'ckpt/checkpoint-000000000010.json'
 */
export function writeCheckpointContent(dir: string, step: number, content: string, keep: number): string {
  const name = checkpointName(step);
  const tmp = join(dir, `.${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const file = join(dir, name);
  renameSync(tmp, file);
  fsyncDir(dir);
  const existing = listCheckpoints(dir);
  for (const c of outdated(existing, step, keep)) rmSync(c.file, { force: true });
  return file;
}

/**
 * The checkpoints a store removes after writing the one of `step` (`existing` oldest first):
 * those of later steps (an earlier run's, which this one replaces) and all but the `keep` newest
 * up to `step`.
 *
 * @example
 * outdated([{ step: 1 }, { step: 2 }, { step: 3 }, { step: 9 }], 3, 2); // [{ step: 9 }, { step: 1 }]
 */
export function outdated<T extends { readonly step: number }>(existing: readonly T[], step: number, keep: number): T[] {
  const upTo = existing.filter((c) => c.step <= step);
  return [...existing.filter((c) => c.step > step), ...upTo.slice(0, Math.max(0, upTo.length - keep))];
}

/**
 * Read and verify one checkpoint file (`decodeCheckpoint`): its checksum line must match its
 * JSON line, and the JSON must be a checkpoint of this format version. Returns the checkpoint, or
 * the reason it cannot be used (unreadable, truncated, corrupt, another version).
 *
 * @example
 * const r = readCheckpoint('ckpt/checkpoint-000000000010.json');
 * if ('reason' in r) console.warn(r.reason); else console.log(r.checkpoint.step);
 */
export function readCheckpoint(file: string): { readonly checkpoint: Checkpoint } | { readonly reason: string } {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    return { reason: `unreadable (${(err as Error).message})` };
  }
  return decodeCheckpoint(content);
}

/**
 * Verify and parse a checkpoint's content (`encodeCheckpoint`): the checksum line must match the
 * JSON line, and the JSON must be a checkpoint of this format version. Returns the checkpoint, or
 * the reason it cannot be used (truncated, corrupt, another version).
 *
 * @example
 * decodeCheckpoint(encodeCheckpoint(cp)); // { checkpoint: cp }
 * decodeCheckpoint('{"version":1'); // { reason: 'truncated or corrupt (no checksum line after the data)' }
 */
export function decodeCheckpoint(content: string): { readonly checkpoint: Checkpoint } | { readonly reason: string } {
  const lines = content.split('\n');
  if (lines.length !== 3 || lines[2] !== '' || !lines[1].startsWith('sha256:')) return { reason: 'truncated or corrupt (no checksum line after the data)' };
  if (sha256(lines[0]) !== lines[1].slice('sha256:'.length)) return { reason: 'corrupt (the checksum does not match the data)' };
  let data: Partial<Checkpoint>;
  try {
    data = JSON.parse(lines[0]);
  } catch (err) {
    return { reason: `corrupt (${(err as Error).message})` };
  }
  if (data === null || typeof data !== 'object') return { reason: 'corrupt (not a checkpoint object)' };
  if (data.version !== CHECKPOINT_VERSION) return { reason: `format version ${String(data.version)} (this rxgrad reads ${CHECKPOINT_VERSION})` };
  const objects = [data.params, data.state, data.result].every((v) => v !== null && typeof v === 'object');
  if (!Number.isInteger(data.step) || !Number.isInteger(data.examples) || !objects) return { reason: 'corrupt (step, examples, params, state or result missing)' };
  return { checkpoint: data as Checkpoint };
}

/**
 * Remove the temp files an interrupted write left in `dir` (never a checkpoint).
 *
 * @example
 * removeTempFiles('ckpt');
 */
export function removeTempFiles(dir: string): void {
  for (const n of readdirSync(dir)) if (n.startsWith('.checkpoint-') && n.endsWith('.tmp')) rmSync(join(dir, n), { force: true });
}
