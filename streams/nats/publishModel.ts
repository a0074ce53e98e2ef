import { Observable, type OperatorFunction } from 'rxjs';
import { RxgradError } from '../../src/RxgradError';
import { encodeSnapshot } from '../../src/online/snapshotCodec';
import type { Snapshot } from '../operators/snapshots';
import { openModelBucket, type ModelBucket } from './modelBucket';
import { kvHistory, modelStoreTarget, type ModelStoreOptions } from './modelStoreTarget';

/** Options of `publishModel`. */
export interface PublishModelOptions extends ModelStoreOptions {
  /** Revisions of the key the KV keeps (1–64, default 10): the versions `loadModelVersion` can read back. Set when the bucket is created. */
  readonly history?: number;
}

/** One snapshot stored by `publishModel`. */
export interface PublishedModel {
  readonly version: number;
  readonly step: number;
  /** The KV revision it got (what `loadModelVersion` reads back). */
  readonly revision: number;
  /** Size of the encoded model in bytes. */
  readonly bytes: number;
  /** The Object Store entry holding it, when it was too big for one NATS message. */
  readonly object?: string;
  /** Snapshots replaced by a newer one while they waited, so far (never stored). */
  readonly skipped: number;
}

/** The default history of a model key. */
export const MODEL_HISTORY = 10;

/**
 * Put versioned model snapshots (`snapshots(…).snapshots$`) into a NATS KV bucket, where
 * `watchModel` follows them and `loadModelVersion` reads them back.
 *
 * 1. On subscribe it connects (`natsConnect`) and opens the KV bucket `bucket` (default
 *    `rxgrad-models`), creating it with `history` revisions per key if missing.
 * 2. Each snapshot is encoded exactly and compactly (`encodeSnapshot`: version, step, examples,
 *    the source position with the stream sequence reached, and each parameter as the base64 of
 *    its float32 bytes) and put under `key`. An encoding bigger than one NATS message
 *    (`max_payload`, 1 MiB by default) goes into the Object Store of the same name as
 *    `<key>/v<version>`, and the KV entry points at it (with its SHA-256).
 * 3. Puts happen one at a time, in order. A snapshot that arrives while another waits replaces
 *    it (the store is for serving the newest; `skipped` counts the replaced ones), so memory
 *    stays bounded when training outruns the network. The last snapshot is always stored.
 * 4. After the server has stored a snapshot, a `PublishedModel` is emitted with its revision.
 * 5. When the snapshots complete, it completes after the last put. An error of the snapshots,
 *    or an unsubscribe, ends it at once; the put in flight finishes, then the connection closes.
 *    A failed put (or connection) errors it.
 * 6. After an object is stored, the key's objects that no revision kept by the KV points at any
 *    more (older than its `history`) are deleted, whoever put them.
 *
 * @example
 * const { operator, snapshots$ } = snapshots({ everySteps: 100, params: model.params });
 * snapshots$.pipe(publishModel({ servers: 'nats://127.0.0.1:4222', key: 'elec2' })).subscribe((p) => console.log(`version ${p.version} → revision ${p.revision}`));
 * replay(table, { batchSize: 8 }).pipe(gradients(model.loss, model.params), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params), operator).subscribe();
 */
export function publishModel(options: PublishModelOptions): OperatorFunction<Snapshot, PublishedModel> {
  const { servers, bucket, key } = modelStoreTarget(options);
  const history = kvHistory(options.history ?? MODEL_HISTORY);
  return (snapshots$) =>
    new Observable<PublishedModel>((subscriber) => {
      const opened = openModelBucket(servers, bucket, history, 'rxgrad-publish-model');
      let waiting: Snapshot | undefined;
      let skipped = 0;
      let running: Promise<void> | undefined;
      let upstreamDone = false;

      const put = async (b: ModelBucket, s: Snapshot) => {
        if (s === null || typeof s !== 'object' || !Number.isInteger(s.version) || s.params === null || typeof s.params !== 'object') throw new RxgradError('snapshot', 'a Snapshot { version, step, examples, params }', s);
        const bytes = encodeSnapshot(s);
        const stored = await b.put(key, bytes, `${key}/v${s.version}`);
        if (stored.object) await b.prune(key);
        subscriber.next({ version: s.version, step: s.step, revision: stored.revision, bytes: bytes.byteLength, ...(stored.object && { object: stored.object }), skipped });
      };
      const pump = async () => {
        const b = await opened;
        while (waiting && !subscriber.closed) {
          const s = waiting;
          waiting = undefined;
          await put(b, s);
        }
        running = undefined;
        if (upstreamDone && !waiting) subscriber.complete();
      };
      const kick = () => {
        running ??= pump().catch((err) => subscriber.error(err));
      };

      opened.catch((err) => subscriber.error(err));
      const subscription = snapshots$.subscribe({
        next: (s) => {
          if (waiting) skipped++;
          waiting = s;
          kick();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          upstreamDone = true;
          kick();
        },
      });
      return () => {
        subscription.unsubscribe();
        void opened.then(async (b) => {
          await running;
          await b.close();
        }, () => undefined);
      };
    });
}
