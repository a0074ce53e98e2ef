import { RxgradError } from '../../src/RxgradError';
import { positiveInt } from '../../src/validate';
import { natsServers, type NatsServers } from './natsConnect';

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

/**
 * Check a KV `history` (how many revisions per key the server keeps: 1–64).
 *
 * @example
 * kvHistory(10); // 10
 * kvHistory(65); // throws "Expected `history` at most 64 (the most revisions a NATS KV keeps per key), got 65"
 */
export function kvHistory(value: unknown): number {
  const n = positiveInt('history', value);
  if (n > 64) throw new RxgradError('history', 'at most 64 (the most revisions a NATS KV keeps per key)', n);
  return n;
}

