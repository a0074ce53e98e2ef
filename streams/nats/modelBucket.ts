import type { NatsConnection } from '@nats-io/transport-node';
import type { KV, KvEntry } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { createHash } from 'node:crypto';
import { RxgradError, shown } from '../../src/RxgradError';
import { positiveInt } from '../../src/validate';
import { loadNats } from './loadNats';
import { natsConnect, natsServers, type NatsServers } from './natsConnect';

/** Where a model store lives: the NATS servers, a bucket, a key in it. */
export interface ModelStoreOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: NatsServers;
  /** The KV bucket (default `rxgrad-models`); big values go to the Object Store of the same name. */
  readonly bucket?: string;
  /** The key the model's versions are put under (letters, digits, `-_/=.`). */
  readonly key: string;
}

/** The checked options: servers as a list, the bucket's default applied. */
export interface ModelStoreTarget {
  readonly servers: readonly string[];
  readonly bucket: string;
  readonly key: string;
}

/** The default bucket of `publishModel`, `watchModel` and `loadModelVersion`. */
export const MODEL_BUCKET = 'rxgrad-models';

/**
 * Check the servers, bucket and key of a NATS model or checkpoint store (NATS's own rules:
 * bucket `[-\w]+`, key `[-/=.\w]+` not starting or ending with a dot), naming the bad field.
 *
 * @example
 * modelStoreTarget({ servers: 'nats://127.0.0.1:4222', key: 'elec2' }); // { servers: ['nats://…'], bucket: 'rxgrad-models', key: 'elec2' }
 */
export function modelStoreTarget(options: ModelStoreOptions, defaultBucket = MODEL_BUCKET): ModelStoreTarget {
  if (options === null || typeof options !== 'object') throw new RxgradError('options', 'an object { servers, bucket?, key }', options);
  const list = natsServers('servers', options.servers);
  const bucket = options.bucket ?? defaultBucket;
  if (typeof bucket !== 'string' || !/^[-\w]+$/.test(bucket)) throw new RxgradError('bucket', 'a bucket name of letters, digits, - and _', bucket);
  const { key } = options;
  if (typeof key !== 'string' || !/^[-/=.\w]+$/.test(key) || key.startsWith('.') || key.endsWith('.')) throw new RxgradError('key', 'a key of letters, digits and -/=._ (not starting or ending with a dot)', key);
  return { servers: list, bucket, key };
}

/** Check a KV `history` (how many revisions per key the server keeps: 1–64). */
export function kvHistory(value: unknown): number {
  const n = positiveInt('history', value);
  if (n > 64) throw new RxgradError('history', 'at most 64 (the most revisions a NATS KV keeps per key)', n);
  return n;
}

/** A value too big for one NATS message lives in the Object Store; the KV holds this pointer. */
interface Pointer {
  readonly format: 'rxgrad-object/1';
  readonly object: string;
  readonly bytes: number;
  readonly sha256: string;
}

const POINTER_PREFIX = '{"format":"rxgrad-object/1"';
/** Room left in a message for its subject and headers. */
const HEADROOM = 8 * 1024;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** An open connection to a KV bucket and the Object Store of the same name. */
export interface ModelBucket {
  readonly nc: NatsConnection;
  readonly kv: KV;
  /** The Object Store (created on first use). */
  objects(): Promise<ObjectStore>;
  /**
   * Put `bytes` under `key`: in the KV when they fit in one message, else in the Object Store as
   * `object` with a pointer in the KV. Resolves once the server has stored it, with its revision.
   */
  put(key: string, bytes: Uint8Array, object: string): Promise<{ readonly revision: number; readonly object?: string }>;
  /** The bytes of an entry (following a pointer to the Object Store, checking its SHA-256). */
  read(entry: KvEntry, where: string): Promise<Uint8Array>;
  /** Flush and close the connection. */
  close(): Promise<void>;
}

/**
 * Connect to NATS and open (creating if missing) the KV bucket `bucket` keeping `history`
 * revisions per key (`natsConnect`: reconnects forever across a server restart); `name` is the
 * connection's name on the server.
 *
 * @example
 * const b = await openModelBucket(['nats://127.0.0.1:4222'], 'rxgrad-models', 10, 'rxgrad-publish-model');
 * await b.put('elec2', bytes, 'elec2/v3');
 * await b.close();
 */
export async function openModelBucket(servers: readonly string[], bucket: string, history: number, name: string): Promise<ModelBucket> {
  const { kv: kvModule, obj } = await loadNats();
  const nc = await natsConnect(servers, name);
  try {
    const kv = await new kvModule.Kvm(nc).create(bucket, { history });
    let store: Promise<ObjectStore> | undefined;
    const objects = () => (store ??= new obj.Objm(nc).create(bucket));
    const limit = (nc.info?.max_payload ?? 1024 * 1024) - HEADROOM;
    return {
      nc,
      kv,
      objects,
      put: async (key, bytes, object) => {
        if (bytes.byteLength <= limit) return { revision: await kv.put(key, bytes) };
        await (await objects()).putBlob({ name: object }, bytes);
        const pointer: Pointer = { format: 'rxgrad-object/1', object, bytes: bytes.byteLength, sha256: sha256(bytes) };
        return { revision: await kv.put(key, JSON.stringify(pointer)), object };
      },
      read: async (entry, where) => {
        const value = entry.value;
        if (!Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, POINTER_PREFIX.length)).equals(Buffer.from(POINTER_PREFIX))) return value;
        const pointer = entry.json<Pointer>();
        const bytes = await (await objects()).getBlob(pointer.object);
        if (!bytes) throw new RxgradError(where, `its object "${pointer.object}" in the Object Store "${bucket}"`, shown('none (deleted: an older revision than the store keeps)'));
        if (bytes.byteLength !== pointer.bytes || sha256(bytes) !== pointer.sha256) throw new RxgradError(where, `object "${pointer.object}" of ${pointer.bytes} bytes with the SHA-256 in its pointer`, shown(`${bytes.byteLength} bytes that do not match`));
        return bytes;
      },
      close: async () => {
        if (nc.isClosed()) return;
        await nc.drain();
      },
    };
  } catch (err) {
    await nc.close();
    throw err;
  }
}
