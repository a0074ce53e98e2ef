import type { NatsConnection } from '@nats-io/nats-core';
import type { ObjectStore } from '@nats-io/obj';
import { RxgradError } from '../../src/RxgradError';
import { checkpointName, outdated } from '../checkpointFile';
import type { CheckpointEntry, CheckpointStore } from '../CheckpointStore';
import { loadNats } from './loadNats';
import { modelStoreTarget } from './modelStoreTarget';
import { natsConnect, type NatsServers } from './natsConnect';

/** Options of `natsCheckpoints`. */
export interface NatsCheckpointsOptions {
  /** NATS server URL(s). */
  readonly servers: NatsServers;
  /** The Object Store bucket (default `rxgrad-checkpoints`; created if missing). */
  readonly bucket?: string;
  /** The run's name in the bucket (default `run`): its checkpoints are the objects `<key>/checkpoint-<step>.json`. */
  readonly key?: string;
}

/** The default bucket of `natsCheckpoints`. */
export const CHECKPOINT_BUCKET = 'rxgrad-checkpoints';

const NAME = /^checkpoint-(\d{12})\.json$/;

/**
 * A checkpoint store in a NATS JetStream Object Store, for `checkpoint({ store })` and
 * `resumeFrom(store, params)`: a trainer keeps no local file and can restart on another machine.
 *
 * 1. Checkpoints are the objects `<key>/checkpoint-<step, 12 digits>.json` of the bucket, with
 *    the same content as a checkpoint file (`encodeCheckpoint`: the JSON line and its SHA-256).
 *    Any size: the Object Store splits them into chunks.
 * 2. `write` is asynchronous: it resolves once the server has stored every chunk and the
 *    object's metadata (JetStream's acknowledgement: file storage, and the stream's replicas in a
 *    cluster) — the durable moment `checkpoint` reports. An object becomes visible only with its
 *    metadata, published last, so a writer killed mid-write leaves the previous checkpoints and
 *    no partial one. Then only the `keep` newest up to that step remain (`outdated`; the
 *    run's objects are listed once, before the first write, then followed in memory).
 * 3. `list`/`read` give the run's checkpoints and their content; the Object Store checks its own
 *    SHA-256 digest on read, and `resumeFrom` checks the checkpoint's.
 * 4. Writes progress while the event loop runs: a synchronous source (`replay`, `minibatches`)
 *    should yield now and then (`yieldEveryMs`), else every write waits for the end of the run.
 * 5. Connects on first use (`natsConnect`: reconnects forever); `close()` drains the connection
 *    once the operations in flight on it have finished, and the next use connects again. One
 *    run at a time per store object (it follows the run's objects in memory).
 *
 * @example
 * const store = natsCheckpoints({ servers: 'nats://127.0.0.1:4222', key: 'elec2-trainer' });
 * const r = await resumeFrom(store, model.params);
 * replay(table, { batchSize: 8, resume: r.checkpoint }).pipe(
 *   gradients(model.loss, model.params), optimize(adam()), applyUpdates(model.params),
 *   checkpoint({ store, params: model.params, everySteps: 100 }),
 * ).subscribe();
 */
export function natsCheckpoints(options: NatsCheckpointsOptions): CheckpointStore {
  const { servers, bucket, key } = modelStoreTarget({ ...options, key: options?.key ?? 'run' }, CHECKPOINT_BUCKET);
  const prefix = `${key}/`;
  /** The connection: operations in flight on it, and whether `close()` asked for it to go. */
  interface Connection {
    readonly nc: NatsConnection;
    readonly os: ObjectStore;
    busy: number;
    closing: boolean;
  }
  let opened: Promise<Connection> | undefined;
  const connect = () => {
    opened ??= (async () => {
      const { obj } = await loadNats();
      const nc = await natsConnect(servers, 'rxgrad-checkpoints');
      try {
        return { nc, os: await new obj.Objm(nc).create(bucket), busy: 0, closing: false };
      } catch (err) {
        await nc.close();
        throw err;
      }
    })();
    opened.catch(() => (opened = undefined));
    return opened;
  };
  /** Run `fn` on the connection; a `close()` meanwhile drains it only after `fn` (and the others in flight) finished. */
  const use = async <T>(fn: (os: ObjectStore) => Promise<T>): Promise<T> => {
    const c = await connect();
    c.busy++;
    try {
      return await fn(c.os);
    } finally {
      if (--c.busy === 0 && c.closing) await c.nc.drain();
    }
  };
  /** The run's checkpoints as this store last saw them (listed once, before its first write). */
  let known: CheckpointEntry[] | undefined;
  const list = (): Promise<CheckpointEntry[]> =>
    use(async (os) =>
      (await os.list())
        .filter((o) => !o.deleted && o.name.startsWith(prefix) && NAME.test(o.name.slice(prefix.length)))
        .map((o) => ({ name: o.name, step: Number(NAME.exec(o.name.slice(prefix.length))![1]) }))
        .sort((a, b) => a.step - b.step),
    );
  return {
    where: `the NATS object store "${bucket}" (key "${key}")`,
    open: () => void connect().catch(() => undefined), // connect early; a failure surfaces at the first write
    write: (step, content, keep) =>
      use(async (os) => {
        const name = prefix + checkpointName(step);
        const before = known ?? (await list());
        await os.putBlob({ name }, Buffer.from(content, 'utf8'));
        const entries = [...before.filter((e) => e.name !== name), { name, step }].sort((a, b) => a.step - b.step);
        const removed = outdated(entries, step, keep);
        for (const old of removed) await os.delete(old.name);
        known = entries.filter((e) => !removed.includes(e));
        return name;
      }),
    list,
    read: (name) =>
      use(async (os) => {
        const bytes = await os.getBlob(name);
        if (!bytes) throw new RxgradError('name', `an object of the object store "${bucket}"`, name, 'none by that name: deleted meanwhile?');
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
      }),
    close: async () => {
      const o = opened;
      opened = undefined;
      known = undefined; // listed again by the next run
      const c = o && (await o.catch(() => undefined));
      if (!c) return;
      c.closing = true;
      if (c.busy === 0 && !c.nc.isClosed()) await c.nc.drain();
    },
  };
}
