import { RxgradError, shown } from '../../src/RxgradError';
import { decodeSnapshot } from '../../src/online/snapshotCodec';
import { positiveInt } from '../../src/validate';
import { missingObject, openModelBucket } from './modelBucket';
import { kvHistory, modelStoreTarget } from './modelStoreTarget';
import { MODEL_HISTORY } from './publishModel';
import type { ModelVersion, WatchModelOptions } from './watchModel';

/** Options of `loadModelVersion`. */
export interface LoadModelVersionOptions extends WatchModelOptions {
  /** The KV revision to read (a `PublishedModel.revision` or `ModelVersion.revision`); default: the newest. */
  readonly revision?: number;
}

/**
 * Read one version of a model from the store `publishModel` writes: the newest, or an older one
 * by its KV revision (`kv.get(key, { revision })`), e.g. to roll a replica back.
 *
 * 1. Connects, reads the entry, follows it to the Object Store if needed (SHA-256 checked),
 *    decodes it bit for bit and closes the connection.
 * 2. A key with no version, a revision that is not this key's (or no longer kept: the bucket keeps
 *    `history` revisions per key) or a deleted one rejects with an `RxgradError` naming `revision`.
 *
 * @example
 * const v = await loadModelVersion({ servers: 'nats://127.0.0.1:4222', key: 'elec2', revision: 7 });
 * const serving = predictor(model, of(v)); // serves exactly that version
 */
export async function loadModelVersion(options: LoadModelVersionOptions): Promise<ModelVersion> {
  const { servers, bucket, key } = modelStoreTarget(options);
  const history = kvHistory(options.history ?? MODEL_HISTORY);
  const revision = options.revision === undefined ? undefined : positiveInt('revision', options.revision);
  const b = await openModelBucket(servers, bucket, history, 'rxgrad-load-model');
  try {
    const e = await b.kv.get(key, revision === undefined ? undefined : { revision });
    if (!e || e.operation !== 'PUT') {
      const what = revision === undefined ? 'the newest' : `revision ${revision}`;
      throw new RxgradError('revision', `a stored version of model "${key}" in bucket "${bucket}"`, shown(`none for ${what}${e ? ` (${e.operation})` : ''}`));
    }
    const where = `model "${key}" revision ${e.revision}`;
    const read = await b.read(e, where);
    if ('missing' in read) throw missingObject(where, read.missing, bucket);
    return { ...decodeSnapshot(read.bytes, where), revision: e.revision };
  } finally {
    await b.close();
  }
}
