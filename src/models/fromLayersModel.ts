import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';
import type { ExampleBatch } from '../ExampleBatch';
import type { Params } from '../types';
import { batchTensors, isExampleBatch } from './batchTensors';
import type { AnyBatch, Model, Task } from './Model';

/** A Keras loss by name, or `(yTrue, yPred) => tensor` whose mean is the loss. */
export type LayersLoss =
  | 'mse'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);

const TASKS: Record<Exclude<LayersLoss, Function>, Task> = {
  mse: 'regression',
  binaryCrossentropy: 'binary',
  categoricalCrossentropy: 'multiclass',
  sparseCategoricalCrossentropy: 'multiclass',
};

/**
 * The `tf.Variable` holding a layer weight's value. tfjs creates it with
 * `tf.variable(value, trainable, layerVariable.name)` and registers it with the engine by that
 * name; `tf.engine()` (documented under Environment) exposes the registry as
 * `registeredVariables`. (`LayerVariable.read()` happens to return the same object but is
 * documented as giving a snapshot, so rxgrad does not rely on it.)
 */
function variableOf(weight: tf.LayerVariable): tf.Variable {
  const v = tf.engine().registeredVariables[weight.name];
  if (!(v instanceof tf.Variable) || v.shape.join() !== weight.shape.join()) {
    throw new RxgradError(`model.trainableWeights["${weight.name}"]`, 'a weight backed by a registered tf.Variable of its shape', v);
  }
  return v;
}

/**
 * Any tfjs LayersModel (`tf.sequential`, `tf.model`) as an rxgrad `Model`, so a user's own
 * architecture trains through `gradients` … `applyUpdates` and is evaluated test-then-train.
 *
 * 1. `params` are the model's trainable weights keyed by their (unique) tfjs names, e.g.
 *    `dense_Dense1/kernel`: the very `tf.Variable`s the layers read, found through
 *    `tf.engine().registeredVariables`, so updates applied to them change the model.
 * 2. The forward pass is `model.apply(xs, { training: true })` in the loss, `model.apply(xs)`
 *    elsewhere. Functions taking `params` accept only these variables (a layers model reads its
 *    own weights) and throw otherwise.
 * 3. The loss is the batch mean of Keras's: `mse` (Σ_j (ŷ_j − y_j)² / out per row),
 *    `binaryCrossentropy` (ŷ a probability, clipped to [1e−7, 1 − 1e−7]),
 *    `categoricalCrossentropy` (one-hot y), `sparseCategoricalCrossentropy` (integer y), or a
 *    function `(yTrue, yPred) => tensor`, whose mean is taken (then `task` is required).
 * 4. The task follows the loss (`mse` regression, `binaryCrossentropy` binary, the categorical
 *    ones multiclass) unless `task` says otherwise. Classifiers' outputs must be probabilities
 *    (sigmoid or softmax last layer): a binary model with one output gives `predictProba`
 *    [1 − p, p], one with k outputs those k numbers.
 * 5. An `ExampleBatch`'s labels become [n, 1] (one-hot [n, k] for `categoricalCrossentropy`).
 *    `scoreRows` runs the model on a tensor made from the batch (one forward pass per batch).
 * 6. `dispose()` disposes the LayersModel.
 *
 * @example
 * const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] });
 * const model = fromLayersModel(net, 'binaryCrossentropy');
 * minibatches(data, { batchSize: 10 }).pipe(gradients(model.loss, model.params), optimize(adam()), applyUpdates(model.params));
 */
export function fromLayersModel(model: tf.LayersModel, loss: LayersLoss, { task }: { task?: Task } = {}): Model {
  if (!(model instanceof tf.LayersModel)) throw new RxgradError('model', 'a tf.LayersModel (tf.sequential or tf.model)', model);
  const named = typeof loss === 'string' && loss in TASKS;
  if (!named && typeof loss !== 'function') {
    throw new RxgradError('loss', "'mse', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy' or a function", loss);
  }
  if (task !== undefined && !['binary', 'multiclass', 'regression'].includes(task)) {
    throw new RxgradError('task', "'binary', 'multiclass' or 'regression'", task);
  }
  if (task === undefined && !named) throw new RxgradError('task', 'given with a loss function', task);
  const kind: Task = task ?? TASKS[loss as keyof typeof TASKS];
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new RxgradError('model', 'one input and one output', `${model.inputs.length} inputs, ${model.outputs.length} outputs`);
  }
  const [inShape, outShape] = [model.inputs[0].shape, model.outputs[0].shape];
  if (inShape.length !== 2 || outShape.length !== 2) {
    throw new RxgradError('model', 'input and output of shape [null, width]', `[${inShape.join(', ')}] → [${outShape.join(', ')}]`);
  }
  const features = inShape[1] as number;
  const width = outShape[1] as number;
  if (kind === 'binary' && width > 2) throw new RxgradError('model output', 'width 1 (sigmoid) or 2 (softmax) for a binary task', width);
  if (kind === 'multiclass' && width < 2) throw new RxgradError('model output', 'width ≥ 2 for a multiclass task', width);
  if (loss === 'binaryCrossentropy' && width !== 1) throw new RxgradError('model output', "width 1 (one sigmoid unit) with 'binaryCrossentropy' (two units: 'sparseCategoricalCrossentropy')", width);
  const outputs = kind === 'binary' ? 2 : width;
  const classes = kind === 'regression' ? undefined : outputs;

  const params: Params = {};
  for (const w of model.trainableWeights) params[w.name] = variableOf(w);
  if (Object.keys(params).length === 0) throw new RxgradError('model', 'at least one trainable weight', 0);

  const own = (p: Params): void => {
    for (const name of Object.keys(params)) {
      if (p[name] !== params[name]) throw new RxgradError(`params["${name}"]`, "the model's own variable (a layers model reads its own weights)", p[name]);
    }
  };

  const lossOf = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor => {
    switch (loss) {
      case 'mse':
        return tf.metrics.meanSquaredError(yTrue, yPred);
      case 'binaryCrossentropy':
        return tf.metrics.binaryCrossentropy(yTrue, yPred);
      case 'categoricalCrossentropy':
        return tf.metrics.categoricalCrossentropy(yTrue, yPred);
      case 'sparseCategoricalCrossentropy':
        return tf.metrics.categoricalCrossentropy(tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), width), yPred);
      default:
        return (loss as (t: tf.Tensor, p: tf.Tensor) => tf.Tensor)(yTrue, yPred);
    }
  };

  const proba = (yPred: tf.Tensor): tf.Tensor2D =>
    (width === 1 ? tf.concat([tf.sub(1, yPred), yPred], 1) : yPred) as tf.Tensor2D;

  return {
    task: kind,
    outputs,
    features,
    params,
    loss: (p: Params, batch: AnyBatch): tf.Scalar => {
      own(p);
      return tf.tidy(() => {
        const { xs, ys } = batchTensors(batch, features, classes);
        const yTrue = isExampleBatch(batch) && loss === 'categoricalCrossentropy' ? tf.oneHot(tf.cast(tf.reshape(ys, [-1]), 'int32'), width) : ys;
        const yPred = model.apply(xs, { training: true }) as tf.Tensor;
        return tf.mean(lossOf(tf.cast(yTrue, 'float32'), yPred)) as tf.Scalar;
      });
    },
    predict: (p: Params, xs: tf.Tensor2D): tf.Tensor => {
      own(p);
      return tf.tidy(() => {
        const yPred = model.apply(xs) as tf.Tensor;
        if (kind === 'regression') return yPred;
        return width === 1 ? tf.cast(tf.reshape(tf.greater(yPred, 0.5), [-1]), 'int32') : tf.argMax(yPred, 1);
      });
    },
    ...(kind === 'regression'
      ? {}
      : {
          predictProba: (p: Params, xs: tf.Tensor2D): tf.Tensor2D => {
            own(p);
            return tf.tidy(() => proba(model.apply(xs) as tf.Tensor));
          },
        }),
    scoreRows: (p: Params, batch: ExampleBatch, out: Float32Array): void => {
      own(p);
      if (batch.d !== features) throw new RxgradError('batch.d', `${features} features`, batch.d);
      if (out.length < batch.n * outputs) throw new RxgradError('out', `room for n × ${outputs} = ${batch.n * outputs} numbers`, out.length);
      const scores = tf.tidy(() => {
        const yPred = model.apply(tf.tensor2d(batch.x, [batch.n, batch.d])) as tf.Tensor;
        return kind === 'regression' ? yPred : proba(yPred);
      });
      out.set(scores.dataSync());
      scores.dispose();
    },
    dispose: () => model.dispose(),
  };
}
