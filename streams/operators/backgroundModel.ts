import * as tf from '@tensorflow/tfjs';
import type { OperatorFunction } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { restoreState, serializeState, type SerializedState } from '../../src/state';
import { disposeReplaced, disposeTree, zerosLike } from '../../src/tree';
import type { Params, Tensors, Transform } from '../../src/types';
import { valueAndGrads } from '../../src/valueAndGrads';
import { operate } from '../operate';
import type { RunScope } from '../RunScope';
import { disposeStep, type Step } from '../Step';
import type { LossFn } from './gradients';

/** Options of `backgroundModel`. */
export interface BackgroundModelOptions {
  /**
   * The values of a fresh model, shaped like `params` (tensors handed to the operator). Default:
   * zeros, the start of rxgrad's linear models; give the model's own initialiser otherwise.
   */
  readonly fresh?: (params: Params) => Tensors;
  /** The key of the background model's state in the run's checkpoints (default `'background'`). */
  readonly key?: string;
}

/** What `backgroundModel` saves in a checkpoint (plain JSON). */
export interface BackgroundModelState {
  /** The background model's parameter values. */
  readonly params: SerializedState;
  /** Its optimizer's state (null before its first update since the last switch). */
  readonly optimizer: SerializedState | null;
}

/**
 * River's `DriftRetrainingClassifier` on rxgrad's steps: a background model learns while the
 * drift detector warns, and replaces the model at a drift.
 *
 * 1. The operator holds a second parameter set B, shaped like `params`, starting at
 *    `options.fresh(params)` (zeros by default), with its own `transform` state.
 * 2. A step with examples in a warning zone (`online.driftWarnings > 0`, set by a `detectDrift`
 *    before it) trains B on the step's batch: g = ∇loss(B, batch), (u, s) = transform.update(g, s,
 *    B, { step, epoch, hyper }), B += u. River trains its background model on each warning
 *    example; with batches of one this is exactly that, with larger batches the whole batch of
 *    such a step is learned.
 * 3. A step with a drift event first learns (2, when it also warns), then switches: `params` ←
 *    B, B ← fresh values, B's optimizer state dropped — so a detector without warnings (ADWIN,
 *    Page–Hinkley) restarts the model from fresh values, as River does. The model then learns
 *    from the step downstream (`gradients` … `applyUpdates`); `optimize(t, { resetOn: 'drift' })`
 *    restarts its optimizer with it.
 * 4. B and its optimizer state are registered with the run under `options.key` (default
 *    `'background'`) and restored from the run's checkpoint, so a resumed run switches to the same
 *    values. They are freed when the subscription ends (complete, error, unsubscribe); a
 *    checkpoint taken after that gets their values at the end.
 * 5. A step without drift detection before it fails the run, naming the missing field; the step
 *    is freed.
 *
 * @example
 * const model = logisticRegression(8);
 * replay(table, { batchSize: 1 }).pipe(
 *   progressiveValidation(model, { metrics: [accuracy()] }),
 *   detectDrift(ddm()),
 *   backgroundModel(model.loss, model.params, sgd({ lr: 0.1 })),
 *   gradients(model.loss, model.params),
 *   optimize(sgd({ lr: 0.1 })),
 *   applyUpdates(model.params),
 * );
 */
export function backgroundModel<B, S>(loss: LossFn<B>, params: Params, transform: Transform<S>, options: BackgroundModelOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  if (typeof loss !== 'function') throw new RxgradError('loss', 'a function (params, batch) => scalar tensor', loss);
  if (params === null || typeof params !== 'object' || Object.keys(params).length === 0) throw new RxgradError('params', 'a non-empty record of tf.Variable', params);
  for (const name of Object.keys(params)) if (!(params[name] instanceof tf.Variable)) throw new RxgradError(`params.${name}`, 'a tf.Variable', params[name]);
  if (!transform || typeof transform.init !== 'function' || typeof transform.update !== 'function') throw new RxgradError('transform', 'a Transform { init, update }', transform);
  const fresh = options.fresh ?? zerosLike;
  if (typeof fresh !== 'function') throw new RxgradError('fresh', 'a function (params) => tensors shaped like params', fresh);
  const key = options.key ?? 'background';
  if (typeof key !== 'string' || key.length === 0) throw new RxgradError('key', 'a non-empty checkpoint key', key);
  const names = Object.keys(params);

  /** Copy `values` into `into` (shapes checked), then free `values`. */
  const assignAll = (into: Params, values: Tensors, what: string): void => {
    try {
      for (const n of names) {
        const v = values[n];
        if (!(v instanceof tf.Tensor) || v.shape.join() !== into[n].shape.join()) throw new RxgradError(`${what}.${n}`, `a tensor of shape [${into[n].shape.join(', ')}]`, v);
        into[n].assign(v);
      }
    } finally {
      disposeTree(values);
    }
  };

  return operate<Step<B>, Step<B>>((out) => {
    let background: Params | undefined;
    let state: S | undefined;
    let scope: RunScope | undefined;
    /** The state at the end of the subscription, for a checkpoint taken after it. */
    let final: BackgroundModelState | undefined;

    const model = (): Params => {
      if (background) return background;
      const made: Params = {};
      for (const n of names) made[n] = tf.tidy(() => tf.variable(tf.zerosLike(params[n])));
      background = made;
      assignAll(made, fresh(params), 'fresh(params)');
      return made;
    };

    const snapshot = (): BackgroundModelState => ({ params: serializeState(model()), optimizer: state === undefined ? null : serializeState(state) });

    const follow = (run: RunScope): void => {
      scope = run;
      const restored = run.restored<BackgroundModelState>(key);
      if (restored) {
        assignAll(model(), restoreState<Tensors>(restored.params), `checkpoint.${key}.params`);
        disposeTree(state);
        state = restored.optimizer ? restoreState(restored.optimizer, transform, model()) : undefined;
      }
      run.register(key, { save: () => final ?? snapshot() });
    };

    const learn = (step: Step<B>): void => {
      const b = model();
      const { value, grads } = valueAndGrads(() => loss(b, step.batch), b);
      try {
        if (state === undefined) state = transform.init(b);
        const r = transform.update(grads, state, b, { step: step.step, epoch: step.epoch, hyper: step.hyper });
        disposeReplaced(state, r.state);
        state = r.state;
        tf.tidy(() => {
          for (const n of names) b[n].assign(b[n].add(r.updates[n]));
        });
        disposeTree(r.updates);
      } finally {
        disposeTree([value, grads]);
      }
    };

    return {
      next: (step) => {
        if (step.scope && step.scope !== scope) follow(step.scope);
        const online = step.online;
        if (online?.driftEvents === undefined || online.driftWarnings === undefined) {
          throw new RxgradError('step.online.driftEvents', 'drift detection before backgroundModel (put detectDrift() before it)', shown(`none at step ${step.step}`));
        }
        if (online.driftWarnings > 0) learn(step);
        if (online.driftEvents.some((e) => e.status === 'drift')) {
          const b = model();
          for (const n of names) params[n].assign(b[n]);
          assignAll(b, fresh(params), 'fresh(params)');
          disposeTree(state);
          state = undefined;
        }
        out.next(step);
      },
      release: disposeStep,
      teardown: () => {
        if (scope) final = snapshot();
        disposeTree([background, state]);
        background = undefined;
        state = undefined;
      },
    };
  });
}
