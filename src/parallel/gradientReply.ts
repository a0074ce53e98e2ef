import { RxgradError, shown } from '../RxgradError';
import { positiveInt } from '../validate';
import type { ArraySizes } from './float32Base64';
import { jsonBytes, messageJson } from './messageJson';
import { checkModel, type ModelMessage } from './modelMessage';

/**
 * What the updater did with a gradient:
 * `applied` (an update was made from it), `stale` (dropped: more than k versions behind),
 * `duplicate` (some of its examples were already accounted for: nothing applied; `duplicates`
 * names them, and the worker may send the gradient of the others).
 */
export type GradientStatus = 'applied' | 'stale' | 'duplicate';

/** The updater's answer to a gradient: what it did, and its newest model version. */
export interface GradientReply {
  readonly status: GradientStatus;
  /** τ = V − v of the gradient (the updater's version V when it arrived). */
  readonly staleness: number;
  /** For `duplicate`: the batch's sequences that were already accounted for. */
  readonly duplicates: readonly number[];
  /** The newest model version (after the update, for `applied`). */
  readonly model: ModelMessage;
  /**
   * Present when the updater acks after its checkpoints: the gradient's ticket (gradients
   * accounted so far, this one included — for `duplicate`, all so far). The worker acks the
   * examples once a checkpoint holding ticket ≥ this one is durable (`<updater>.committed`).
   */
  readonly commit?: number;
}

const STATUSES: readonly string[] = ['applied', 'stale', 'duplicate'];

/**
 * A reply as bytes: `{"status", "staleness", "duplicates", "commit"?, "model": <modelJson text>}`
 * — the model's JSON text is spliced in as it is (each version is encoded once, `modelJson`).
 *
 * @example
 * encodeReply({ status: 'stale', staleness: 3, duplicates: [] }, '{"version":5,"params":{"b":"AACAPw=="}}');
 */
export function encodeReply(reply: Omit<GradientReply, 'model'>, modelText: string): Uint8Array {
  const commit = reply.commit === undefined ? '' : `"commit":${reply.commit},`;
  return jsonBytes(`{"status":${JSON.stringify(reply.status)},"staleness":${reply.staleness},"duplicates":${JSON.stringify(reply.duplicates)},${commit}"model":${modelText}}`);
}

/**
 * The reply in `bytes`, checked (an `RxgradError` naming the field): `status` one of applied,
 * stale, duplicate; `staleness` an integer ≥ 0; `duplicates` integers ≥ 1; `commit` absent or an
 * integer ≥ 1; `model` a model
 * version of the parameter `sizes` (`checkModel`). The updater's refusal of a malformed
 * gradient, `{"error": reason}`, is an `RxgradError` naming `gradient` with the reason.
 *
 * @example
 * decodeReply(encodeReply({ status: 'applied', staleness: 0, duplicates: [] }, '{"version":1,"params":{"b":"AACAPw=="}}'), { b: 1 }).model.version; // 1
 */
export function decodeReply(bytes: Uint8Array, sizes: ArraySizes): GradientReply {
  const raw = messageJson('reply', bytes);
  if (typeof raw.error === 'string') throw new RxgradError('gradient', 'a gradient the updater accepts', shown(`refused: ${raw.error}`));
  const status = raw.status;
  if (typeof status !== 'string' || !STATUSES.includes(status)) throw new RxgradError('reply.status', `one of ${STATUSES.join(', ')}`, status);
  const staleness = positiveInt('reply.staleness', raw.staleness, 0);
  const duplicates = raw.duplicates;
  if (!Array.isArray(duplicates)) throw new RxgradError('reply.duplicates', 'an array of stream sequences', duplicates);
  duplicates.forEach((s, i) => positiveInt(`reply.duplicates[${i}]`, s));
  const model = raw.model;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) throw new RxgradError('reply.model', 'a model version { version, params }', model);
  const commit = raw.commit === undefined ? undefined : positiveInt('reply.commit', raw.commit);
  return { status: status as GradientStatus, staleness, duplicates: duplicates as number[], ...(commit !== undefined && { commit }), model: checkModel(model as Record<string, unknown>, sizes, 'reply.model') };
}
