import { RxgradError, shown } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import { decodeArrays, encodeArrays, type ArraySizes } from './float32Base64';
import { jsonBytes, messageJson } from './messageJson';

/** A worker's gradient of one micro-batch, as it sends it to the updater. */
export interface GradientMessage {
  /** The model version the gradient (and the predictions) were computed against. */
  readonly version: number;
  /** ∂L/∂θ by parameter name, L the batch's mean loss (float32, row-major). */
  readonly grads: Readonly<Record<string, Float32Array>>;
  /** L, the batch's mean loss at that version. */
  readonly loss: number;
  /** Examples in the batch. */
  readonly n: number;
  /** Test-then-train: examples the model at `version` predicted right (classifiers; 0 for regression). */
  readonly correct: number;
  /** The examples' stream sequences (n distinct integers ≥ 1): the updater's ledger. */
  readonly sequences: readonly number[];
  /** The worker's name (for the updater's counters and logs). */
  readonly worker: string;
}

/**
 * A gradient message as bytes: UTF-8 JSON `{"version", "grads": {"w": "<base64 float32>", …},
 * "loss", "n", "correct", "sequences", "worker"}`.
 *
 * @example
 * const bytes = encodeGradient({ version: 0, grads: { b: Float32Array.of(-0.5) }, loss: Math.LN2, n: 1, correct: 0, sequences: [7], worker: 'w1' });
 */
export function encodeGradient(m: GradientMessage): Uint8Array {
  return jsonBytes(JSON.stringify({ version: m.version, grads: encodeArrays(m.grads), loss: m.loss, n: m.n, correct: m.correct, sequences: m.sequences, worker: m.worker }));
}

/**
 * The gradient message in `bytes`, checked field by field (an `RxgradError` naming the field):
 *
 * 1. `version` an integer ≥ 0; `grads` exactly the parameters of `sizes`, each of its size;
 * 2. `loss` a finite number; `n` an integer ≥ 1; `correct` an integer in [0, n];
 * 3. `sequences` n distinct integers ≥ 1; `worker` a string of 1–200 characters.
 *
 * @example
 * decodeGradient(encodeGradient({ version: 0, grads: { b: Float32Array.of(-0.5) }, loss: 0.69, n: 1, correct: 0, sequences: [7], worker: 'w1' }), { b: 1 }).sequences; // [7]
 */
export function decodeGradient(bytes: Uint8Array, sizes: ArraySizes): GradientMessage {
  const raw = messageJson('gradient', bytes);
  const version = positiveInt('gradient.version', raw.version, 0);
  const grads = decodeArrays('gradient.grads', raw.grads, sizes);
  const loss = inRange('gradient.loss', raw.loss, {});
  const n = positiveInt('gradient.n', raw.n);
  const correct = positiveInt('gradient.correct', raw.correct, 0);
  if (correct > n) throw new RxgradError('gradient.correct', `an integer in [0, n = ${n}]`, correct);
  const sequences = raw.sequences;
  if (!Array.isArray(sequences) || sequences.length !== n) throw new RxgradError('gradient.sequences', `n = ${n} stream sequences`, Array.isArray(sequences) ? shown(`${sequences.length}`) : sequences);
  sequences.forEach((s, i) => {
    if (!Number.isSafeInteger(s) || s < 1) throw new RxgradError(`gradient.sequences[${i}]`, 'a stream sequence (an integer ≥ 1)', s);
  });
  if (new Set(sequences).size !== n) throw new RxgradError('gradient.sequences', 'distinct stream sequences', shown('a repeated one'));
  const worker = raw.worker;
  if (typeof worker !== 'string' || worker.length === 0 || worker.length > 200) throw new RxgradError('gradient.worker', 'a string of 1–200 characters', worker);
  return { version, grads, loss, n, correct, sequences: sequences as number[], worker };
}
