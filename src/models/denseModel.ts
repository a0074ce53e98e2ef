import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';
import type { ExampleBatch } from '../ExampleBatch';
import type { Params } from '../types';
import { withAnalytic } from '../fast/AnalyticLoss';
import { batchTensors, isExampleBatch } from './batchTensors';
import { dense } from './dense';
import type { AnyBatch, Model, Task } from './Model';

/** Hidden-layer activation of a dense network. */
export type Activation = 'relu' | 'tanh' | 'sigmoid';

/** What the last layer's pre-activation z becomes, and with it the loss and the task. */
export type OutputKind = 'linear' | 'sigmoid' | 'softmax';

/** A dense network as `denseModel` builds it. */
export interface DenseSpec {
  /** Widths [d, h₁, …, out]. */
  readonly sizes: readonly number[];
  /** Parameter names of each layer's weight [fan_in, fan_out] and bias [fan_out]. */
  readonly names: readonly { readonly w: string; readonly b: string }[];
  readonly activation: Activation;
  readonly output: OutputKind;
  /** Initial weight matrices, one per layer (taken over: they become the variables' values). */
  readonly weights: readonly tf.Tensor2D[];
}

const ACTIVATIONS: Record<Activation, { tensor: (t: tf.Tensor) => tf.Tensor; scalar: (s: number) => number }> = {
  relu: { tensor: tf.relu, scalar: (s) => (s > 0 ? s : 0) },
  tanh: { tensor: tf.tanh, scalar: Math.tanh },
  sigmoid: { tensor: tf.sigmoid, scalar: (s) => 1 / (1 + Math.exp(-s)) },
};

/**
 * A dense network as a `Model`: the shared core of `logisticRegression`, `softmaxRegression`
 * and `mlp`. With h₀ = x, layers l = 1 … L:
 *
 *   z_l = h_{l−1} W_l + b_l,   h_l = act(z_l) (l < L),   z = z_L
 *
 * and by `output`, over a batch of n rows with labels y:
 *
 * | output  | task       | prediction               | loss                                              |
 * |---------|------------|--------------------------|---------------------------------------------------|
 * | linear  | regression | ŷ = z                    | (1/(n·out)) Σ (z − y)² / 2                        |
 * | sigmoid | binary     | p = σ(z), class [z > 0]  | (1/n) Σ softplus(z) − y·z  (= BCE, stable; ∂/∂z = p − y) |
 * | softmax | multiclass | p = softmax(z), argmax z | (1/n) Σ logsumexp(z) − z_y  (= CE; ∂/∂z = p − onehot(y)) |
 *
 * 1. Parameters are `tf.Variable`s named by `names` (`w`, `b` or `w1`, `b1`, …); biases start at 0.
 * 2. `loss` takes tensors `{ xs, ys }` (ys: values [n, out], or class labels [n] / [n, 1]) or an
 *    `ExampleBatch`, whose tensors it makes inside its own `tf.tidy`.
 * 3. `loss` carries its analytic gradient (`withAnalytic`): `gradients(model.loss, model.params)`
 *    takes the fast path (`analyticGrads`) on its own.
 * 4. `scoreRows` runs the same forward pass in plain loops over the parameters' `dataSync()`
 *    arrays (zero-copy on the cpu backend) into `out`: [1 − p, p] (sigmoid), the k class
 *    probabilities (softmax) or z (linear) per row. No tensor is made.
 *
 * @example
 * const m = denseModel({ sizes: [2, 1], names: [{ w: 'w', b: 'b' }], activation: 'relu', output: 'sigmoid', weights: [tf.zeros([2, 1])] });
 */
export function denseModel({ sizes, names, activation, output, weights }: DenseSpec): Model {
  const layers = names.length;
  const features = sizes[0];
  const width = sizes[layers];
  if (output === 'sigmoid' && width !== 1) throw new RxgradError('sizes', 'a last width of 1 for a sigmoid output', width);
  if (output === 'softmax' && width < 2) throw new RxgradError('sizes', 'a last width ≥ 2 for a softmax output', width);
  const act = ACTIVATIONS[activation];
  const task: Task = output === 'linear' ? 'regression' : output === 'sigmoid' ? 'binary' : 'multiclass';
  const outputs = output === 'sigmoid' ? 2 : width;
  const classes = output === 'linear' ? undefined : outputs;

  const params: Params = {};
  names.forEach(({ w, b }, l) => {
    params[w] = tf.variable(weights[l], true);
    weights[l].dispose();
    params[b] = tf.tidy(() => tf.variable(tf.zeros([sizes[l + 1]]), true));
  });
  const order = names.flatMap(({ w, b }) => [w, b]);

  const logits = (p: Params, xs: tf.Tensor): tf.Tensor2D => {
    let h = xs as tf.Tensor2D;
    names.forEach(({ w, b }, l) => {
      // The first layer's input is the batch's data: no gradient to it (see `dense`).
      h = dense(h, p[w] as tf.Tensor2D, p[b] as tf.Tensor1D, { inputGrad: l > 0 });
      if (l < layers - 1) h = act.tensor(h) as tf.Tensor2D;
    });
    return h;
  };

  const loss = withAnalytic((p: Params, batch: AnyBatch): tf.Scalar =>
    tf.tidy(() => {
      if (output === 'linear' && width !== 1 && isExampleBatch(batch)) {
        throw new RxgradError('batch', `tensors { xs, ys } with ys [n, ${width}] (an ExampleBatch has one label per row)`, 'an ExampleBatch');
      }
      const { xs, ys } = batchTensors(batch, features, classes);
      const z = logits(p, xs);
      if (output !== 'softmax') {
        // Targets as z's shape in float32 (an ExampleBatch's already are: no extra kernel).
        const y = ys.dtype === 'float32' && ys.shape.join() === z.shape.join() ? ys : tf.cast(tf.reshape(ys, z.shape), 'float32');
        if (output === 'linear') return tf.div(tf.mean(tf.square(tf.sub(z, y))), 2) as tf.Scalar;
        return tf.mean(tf.sub(tf.softplus(z), tf.mul(y, z))) as tf.Scalar;
      }
      const onehot = tf.oneHot(tf.cast(tf.reshape(ys, [-1]), 'int32'), width);
      return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(z)), 1))) as tf.Scalar;
    }), { sizes: [...sizes], activation, output }, names, 'any');

  const predict = (p: Params, xs: tf.Tensor2D): tf.Tensor =>
    tf.tidy(() => {
      const z = logits(p, xs);
      if (output === 'linear') return z;
      if (output === 'sigmoid') return tf.cast(tf.reshape(tf.greater(z, 0), [-1]), 'int32');
      return tf.argMax(z, 1);
    });

  const predictProba = (p: Params, xs: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      const z = logits(p, xs);
      if (output === 'softmax') return tf.softmax(z);
      const prob = tf.sigmoid(z);
      return tf.concat([tf.sub(1, prob), prob], 1) as tf.Tensor2D;
    });

  // Scratch for scoreRows, allocated once: parameter arrays and two hidden rows.
  const values: Float32Array[] = new Array(order.length);
  const hidden = Math.max(1, ...sizes.slice(1));
  const buffers = [new Float32Array(hidden), new Float32Array(hidden)];

  const scoreRows = (p: Params, batch: ExampleBatch, out: Float32Array): void => {
    const { n, d, x } = batch;
    if (d !== features) throw new RxgradError('batch.d', `${features} features`, d);
    if (out.length < n * outputs) throw new RxgradError('out', `room for n × ${outputs} = ${n * outputs} numbers`, out.length);
    for (let l = 0; l < layers; l++) {
      const { w, b } = names[l];
      const wv = p[w]?.dataSync() as Float32Array | undefined;
      const bv = p[b]?.dataSync() as Float32Array | undefined;
      if (wv?.length !== sizes[l] * sizes[l + 1]) throw new RxgradError(`params.${w}`, `${sizes[l] * sizes[l + 1]} values`, wv?.length);
      if (bv?.length !== sizes[l + 1]) throw new RxgradError(`params.${b}`, `${sizes[l + 1]} values`, bv?.length);
      values[2 * l] = wv;
      values[2 * l + 1] = bv;
    }
    for (let i = 0; i < n; i++) {
      let src = x;
      let offset = i * d;
      for (let l = 0; l < layers; l++) {
        const wv = values[2 * l];
        const bv = values[2 * l + 1];
        const fanIn = sizes[l];
        const fanOut = sizes[l + 1];
        const dst = buffers[l & 1];
        const last = l === layers - 1;
        for (let j = 0; j < fanOut; j++) {
          let s = bv[j];
          for (let k = 0; k < fanIn; k++) s += src[offset + k] * wv[k * fanOut + j];
          dst[j] = last ? s : act.scalar(s);
        }
        src = dst;
        offset = 0;
      }
      const at = i * outputs;
      if (output === 'linear') {
        for (let j = 0; j < width; j++) out[at + j] = src[j];
      } else if (output === 'sigmoid') {
        const prob = 1 / (1 + Math.exp(-src[0]));
        out[at] = 1 - prob;
        out[at + 1] = prob;
      } else {
        let max = -Infinity;
        for (let j = 0; j < width; j++) if (src[j] > max) max = src[j];
        let sum = 0;
        for (let j = 0; j < width; j++) sum += Math.exp(src[j] - max);
        for (let j = 0; j < width; j++) out[at + j] = Math.exp(src[j] - max) / sum;
      }
    }
  };

  return {
    task,
    outputs,
    features,
    params,
    loss,
    predict,
    ...(classes === undefined ? {} : { predictProba }),
    scoreRows,
    dispose: () => {
      for (const name of order) params[name].dispose();
    },
  };
}
