import * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';
import { RxgradError, shown } from '../src/RxgradError';
import type { ExampleBatch } from '../src/ExampleBatch';
import type { Model } from '../src/models/Model';
import type { Params } from '../src/types';
import { yHatOf } from '../src/online/yHatOf';
import type { Snapshot } from './operators/snapshots';

/** What a `Predictor` answers. */
export interface Prediction {
  /** The snapshot the prediction was made with. */
  readonly version: number;
  readonly step: number;
  /** Predicted class index or value per row. */
  readonly yHat: Float32Array;
  /** Class probabilities, n × k row-major (classifiers only). */
  readonly proba?: Float32Array;
}

/** Predictions served from the newest snapshot of a run that keeps training. */
export interface Predictor {
  /** The newest snapshot's version (0 before the first). */
  readonly version: number;
  /** Predict rows: `number[][]`, or n × d features row-major in a Float32Array. */
  predict(x: Float32Array | readonly (readonly number[])[]): Prediction;
  /** Stop following the snapshots and free the predictor's parameters. */
  dispose(): void;
}

/**
 * Serve predictions from the newest snapshot (`snapshots`) while training continues.
 *
 * 1. The predictor keeps its own copy of the parameters (variables shaped like
 *    `model.params`, which it never changes): training is not disturbed and a prediction
 *    never sees a half-applied update.
 * 2. Every snapshot replaces the previous one; it is copied into the predictor's parameters at
 *    the next `predict` (one assignment per parameter and snapshot, none per prediction).
 * 3. `predict(x)` runs `model.scoreRows` with the predictor's parameters on typed arrays (no
 *    tensor): ŷ per row (argmax for classifiers), and the probabilities for classifiers. It
 *    names the snapshot used. Before the first snapshot it throws.
 * 4. The model must score the parameters it is given (rxgrad's dense models do).
 * 5. A snapshot whose parameters do not match the model's names and sizes fails at `predict`,
 *    naming the parameter; an error of `snapshots$` is thrown by the next `predict`.
 *
 * @example
 * const { operator, snapshots$ } = snapshots({ everySteps: 10, params: model.params });
 * const serving = predictor(model, snapshots$);
 * // … training runs with `operator` after applyUpdates …
 * serving.predict([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]); // { version, step, yHat, proba }
 */
export function predictor(model: Model, snapshots$: Observable<Snapshot>): Predictor {
  if (model === null || typeof model !== 'object' || typeof model.scoreRows !== 'function') throw new RxgradError('model', 'a Model (with scoreRows)', model);
  if (!snapshots$ || typeof snapshots$.subscribe !== 'function') throw new RxgradError('snapshots$', 'an Observable of snapshots', snapshots$);
  const names = Object.keys(model.params);
  const params: Params = {};
  for (const name of names) params[name] = tf.tidy(() => tf.variable(tf.zeros(model.params[name].shape), false));
  let newest: Snapshot | undefined;
  let loaded: Snapshot | undefined;
  let failure: { readonly err: unknown } | undefined;
  const subscription = snapshots$.subscribe({ next: (s) => (newest = s), error: (err) => (failure = { err }) });

  const load = (s: Snapshot) => {
    for (const name of names) {
      const values = s.params?.[name];
      if (!(values instanceof Float32Array) || values.length !== params[name].size) {
        throw new RxgradError(`snapshot.params.${name}`, `a Float32Array of ${params[name].size} values`, values ?? shown('none'));
      }
    }
    for (const name of names) {
      const t = tf.tensor(s.params[name], params[name].shape, 'float32');
      params[name].assign(t);
      t.dispose();
    }
    loaded = s;
  };

  return {
    get version() {
      return newest?.version ?? 0;
    },
    predict: (x) => {
      if (failure) throw failure.err;
      if (!newest) throw new RxgradError('snapshot', 'one before predicting (none has arrived yet)', undefined);
      if (newest !== loaded) load(newest);
      const d = model.features;
      const flat = x instanceof Float32Array ? x : Float32Array.from(x.flatMap((row, i) => {
        if (row.length !== d) throw new RxgradError(`x[${i}]`, `${d} features`, row.length);
        return row;
      }));
      if (flat.length % d !== 0) throw new RxgradError('x', `n × ${d} features`, shown(`${flat.length} numbers`));
      const n = flat.length / d;
      const batch: ExampleBatch = { n, d, x: flat, y: new Float32Array(n).fill(NaN), ids: new Array(n).fill(undefined), times: new Float64Array(n) };
      const k = model.outputs;
      const scores = new Float32Array(n * k);
      model.scoreRows(params, batch, scores);
      const yHat = new Float32Array(n);
      for (let i = 0; i < n; i++) yHat[i] = yHatOf(model.task, scores, i * k, k);
      const s = loaded!;
      return { version: s.version, step: s.step, yHat, ...(model.task !== 'regression' && { proba: scores }) };
    },
    dispose: () => {
      subscription.unsubscribe();
      for (const name of names) params[name].dispose();
    },
  };
}
