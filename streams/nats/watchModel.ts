import { Observable } from 'rxjs';
import { decodeSnapshot } from '../../src/online/snapshotCodec';
import type { Snapshot } from '../operators/snapshots';
import { missingObject, openModelBucket } from './modelBucket';
import { kvHistory, modelStoreTarget, type ModelStoreOptions } from './modelStoreTarget';
import { MODEL_HISTORY } from './publishModel';

/** A snapshot read back from the model store, with the KV revision it was stored as. */
export interface ModelVersion extends Snapshot {
  /** The KV revision (for `loadModelVersion`). */
  readonly revision: number;
}

/** Options of `watchModel`. */
export interface WatchModelOptions extends ModelStoreOptions {
  /** Revisions per key, used only if the watcher creates the bucket (before any publisher): as `publishModel`'s (default 10). */
  readonly history?: number;
}

/**
 * Follow a model key of the store `publishModel` writes: the stream of its versions, for
 * `predictor(model, watchModel(…))` — serving replicas that stay on the newest version.
 *
 * 1. On subscribe it connects (`natsConnect`), opens the KV bucket (creating it as
 *    `publishModel` would, so a replica may start before the trainer) and watches `key`
 *    (`kv.watch({ key })`): first the newest version stored, if any, then each new one.
 * 2. Each version is read (from the Object Store when the KV entry points there, its SHA-256
 *    checked), decoded bit for bit (`decodeSnapshot`) and emitted in revision order as a
 *    `ModelVersion` (a `Snapshot` plus its `revision`). Deletes and purges of the key are skipped.
 * 3. It never completes by itself: the replica keeps serving the last version after the trainer
 *    stops, and picks up the next one when a trainer publishes again. A connection failure or an
 *    entry that does not decode (an `RxgradError` naming the key, revision and field) errors it.
 *    A version whose object was deleted while this replica lagged (older than the revisions the
 *    KV keeps) is passed over when a newer one is stored: that one comes next.
 * 4. Unsubscribing stops the watch and closes the connection. Survives a server restart
 *    (reconnects forever; the watch resumes).
 *
 * @example
 * const serving = predictor(logisticRegression(6), watchModel({ servers: 'nats://127.0.0.1:4222', key: 'elec2' }));
 * // … once a version has arrived:
 * serving.predict([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]); // { version, step, yHat, proba }
 * serving.dispose();
 */
export function watchModel(options: WatchModelOptions): Observable<ModelVersion> {
  const { servers, bucket, key } = modelStoreTarget(options);
  const history = kvHistory(options.history ?? MODEL_HISTORY);
  return new Observable<ModelVersion>((subscriber) => {
    const opened = openModelBucket(servers, bucket, history, 'rxgrad-watch-model');
    let watch: { stop(): void } | undefined;
    let stopped = false;
    (async () => {
      const b = await opened;
      const entries = await b.kv.watch({ key, ignoreDeletes: true });
      watch = entries;
      if (stopped) return entries.stop();
      for await (const e of entries) {
        if (e.operation !== 'PUT') continue;
        const where = `model "${key}" revision ${e.revision}`;
        const read = await b.read(e, where);
        if ('missing' in read) {
          // pruned while this replica lagged: a newer version was stored, and comes next
          if (((await b.kv.get(key))?.revision ?? 0) > e.revision) continue;
          throw missingObject(where, read.missing, bucket);
        }
        const values = decodeSnapshot(read.bytes, where);
        if (stopped) return;
        subscriber.next({ ...values, revision: e.revision });
      }
    })().catch((err) => subscriber.error(err));
    return () => {
      stopped = true;
      watch?.stop();
      void opened.then((b) => b.close(), () => undefined);
    };
  });
}
