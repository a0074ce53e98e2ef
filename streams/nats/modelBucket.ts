import type { NatsConnection } from '@nats-io/transport-node';
import type { KV, KvEntry } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { createHash } from 'node:crypto';
import { RxgradError, shown } from '../../src/RxgradError';
import { loadNats } from './loadNats';
import { natsConnect } from './natsConnect';

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
const isPointer = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, POINTER_PREFIX.length)).equals(Buffer.from(POINTER_PREFIX));

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
  /**
   * Delete the objects of `key` (`<key>/v<n>`) that no revision the KV still keeps points at
   * (older than the bucket's history), whoever put them: storage stays bounded across restarts.
   */
  prune(key: string): Promise<void>;
  /**
   * The bytes of an entry (following a pointer to the Object Store, checking its SHA-256), or the
   * name of its object when that is gone (pruned: older than the revisions the KV keeps).
   */
  read(entry: KvEntry, where: string): Promise<{ readonly bytes: Uint8Array } | { readonly missing: string }>;
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
      prune: async (key) => {
        const kept = new Set<string>();
        for await (const e of await kv.history({ key })) if (e.operation === 'PUT' && isPointer(e.value)) kept.add(e.json<Pointer>().object);
        const own = new RegExp(`^${key.replace(/[.]/g, '\\.')}/v\\d+$`);
        const store = await objects();
        for (const o of await store.list()) if (!o.deleted && own.test(o.name) && !kept.has(o.name)) await store.delete(o.name);
      },
      read: async (entry, where) => {
        const value = entry.value;
        if (!isPointer(value)) return { bytes: value };
        const pointer = entry.json<Pointer>();
        const bytes = await (await objects()).getBlob(pointer.object);
        if (!bytes) return { missing: pointer.object };
        if (bytes.byteLength !== pointer.bytes || sha256(bytes) !== pointer.sha256) throw new RxgradError(where, `object "${pointer.object}" of ${pointer.bytes} bytes with the SHA-256 in its pointer`, shown(`${bytes.byteLength} bytes that do not match`));
        return { bytes };
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

/**
 * The error for a version whose object is gone (`ModelBucket.read` → `missing`).
 *
 * @example
 * throw missingObject('model "m" revision 3', 'm/v3', 'rxgrad-models');
 */
export function missingObject(where: string, object: string, bucket: string): RxgradError {
  return new RxgradError(where, `its object "${object}" in the Object Store "${bucket}"`, shown('none (deleted: older than the revisions the KV keeps)'));
}
