import { mkdirSync, readFileSync } from 'node:fs';
import { RxgradError } from '../src/RxgradError';
import { listCheckpoints, removeTempFiles, writeCheckpointContent } from './checkpointFile';
import type { CheckpointStore } from './CheckpointStore';

/**
 * Checkpoints as files in a local folder (`checkpoint({ dir })` is `checkpoint({ store: fileCheckpoints(dir) })`).
 *
 * 1. `open()` creates the folder if missing and removes the temp files of an interrupted write.
 * 2. `write` is synchronous and durable when it returns (`writeCheckpointContent`: temp file,
 *    fsync, rename, fsync of the folder); names are the files' paths.
 * 3. `list()` and `read()` read the folder (`listCheckpoints`); a missing folder has none.
 *
 * @example
 * const store = fileCheckpoints('ckpt');
 * const r = await resumeFrom(store, model.params);
 */
export function fileCheckpoints(dir: string): CheckpointStore {
  if (typeof dir !== 'string' || dir.length === 0) throw new RxgradError('dir', 'a folder path', dir);
  return {
    where: dir,
    open: () => {
      mkdirSync(dir, { recursive: true });
      removeTempFiles(dir);
    },
    write: (step, content, keep) => writeCheckpointContent(dir, step, content, keep),
    list: async () => listCheckpoints(dir).map(({ file, step }) => ({ name: file, step })),
    read: async (name) => readFileSync(name, 'utf8'),
    close: async () => undefined,
  };
}
