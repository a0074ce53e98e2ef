import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { fromLayersModel } from '../../../src/models/fromLayersModel';
import { sgd } from '../../../src/optimizers/sgd';
import { valueAndGrads } from '../../../src/valueAndGrads';
import { disposeTree } from '../../../src/tree';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import type { Step } from '../../../streams/Step';
import { expectNoLeak } from '../../helpers';
import { exampleBatch, randomBatch } from './exampleBatch';

const close = (actual: ArrayLike<number>, expected: readonly number[], digits = 6) =>
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));

/** Steps carrying the same ExampleBatch. */
const steps = (batch: ExampleBatch, count: number): Step<ExampleBatch>[] =>
  Array.from({ length: count }, (_, i) => ({ step: i + 1, epoch: 1, batch, size: batch.n, examples: (i + 1) * batch.n, startedAt: 0, hyper: {} }));

/** dense(1, sigmoid) on 2 inputs with zero weights. */
function logisticNet(): tf.Sequential {
  const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, activation: 'sigmoid', kernelInitializer: 'zeros' })] });
  return net;
}

describe('fromLayersModel', () => {
  it("exposes the layers' trainable tf.Variables by name, the same objects the layers read", () => {
    const net = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
    });
    const m = fromLayersModel(net, 'binaryCrossentropy');
    expect(Object.keys(m.params)).toEqual(net.trainableWeights.map((w) => w.name));
    for (const v of Object.values(m.params)) expect(v).toBeInstanceOf(tf.Variable);
    expect([m.task, m.outputs, m.features]).toEqual(['binary', 2, 3]);
    // Writing a variable changes what the model computes.
    const kernel = m.params[net.trainableWeights[2].name];
    tf.tidy(() => kernel.assign(tf.zeros(kernel.shape)));
    const p = tf.tidy(() => net.predict(tf.ones([1, 3])) as tf.Tensor);
    expect(p.dataSync()[0]).toBeCloseTo(0.5, 6); // σ(0 + b₂ = 0) = ½
    p.dispose();
    m.dispose();
  });

  it('trains through gradients → optimize(sgd) → applyUpdates exactly as two SGD steps by hand', async () => {
    await expectNoLeak(async () => {
      const net = logisticNet();
      const m = fromLayersModel(net, 'binaryCrossentropy');
      // x = [1, 2], y = 1, w = [0, 0], b = 0, lr 1; ∂L/∂z = p − y (the clip at 1e−7 is inactive)
      // step 1: z = 0, p = ½, loss = log 2 = 0.6931472; ∂w = −½·[1, 2] = [−½, −1], ∂b = −½
      //         w = [½, 1], b = ½
      // step 2: z = ½ + 2 + ½ = 3, p = σ(3) = 0.9525741, loss = −log σ(3) = 0.0485874
      //         p − y = −0.0474259; w = [0.5474259, 1.0948517], b = 0.5474259
      const rs = await lastValueFrom(
        from(steps(exampleBatch([[1, 2]], [1]), 2)).pipe(gradients(m.loss, m.params), optimize(sgd({ lr: 1 })), applyUpdates(m.params), toArray()),
      );
      expect(rs[0].loss).toBeCloseTo(0.6931472, 6);
      expect(rs[1].loss).toBeCloseTo(0.0485874, 6);
      const [kernel, bias] = net.getWeights();
      close(kernel.dataSync(), [0.5474259, 1.0948517]);
      close(bias.dataSync(), [0.5474259]);
      m.dispose();
    });
  });

  it('sparse and categorical cross-entropy on a functional tf.model: the softmax-regression hand derivation', () => {
    const input = tf.input({ shape: [2] });
    const output = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: 'zeros' }).apply(input) as tf.SymbolicTensor;
    const net = tf.model({ inputs: input, outputs: output });
    // x = [1, 2], y = 2; p = [⅓, ⅓, ⅓], loss = log 3; ∂W = [1, 2]ᵀ [⅓, ⅓, −⅔]; ∂b = [⅓, ⅓, −⅔]
    for (const [loss, batch] of [
      ['sparseCategoricalCrossentropy', exampleBatch([[1, 2]], [2])],
      ['categoricalCrossentropy', exampleBatch([[1, 2]], [2])],
      ['categoricalCrossentropy', { xs: tf.tensor2d([[1, 2]]), ys: tf.tensor2d([[0, 0, 1]]) }],
    ] as const) {
      const m = fromLayersModel(net, loss);
      expect([m.task, m.outputs]).toEqual(['multiclass', 3]);
      const { value, grads } = valueAndGrads(() => m.loss(m.params, batch), m.params);
      const [w, b] = Object.keys(m.params);
      expect(value.dataSync()[0]).toBeCloseTo(Math.log(3), 6);
      close(grads[w].dataSync(), [1 / 3, 1 / 3, -2 / 3, 2 / 3, 2 / 3, -4 / 3]);
      close(grads[b].dataSync(), [1 / 3, 1 / 3, -2 / 3]);
      disposeTree([value, grads, 'xs' in batch ? batch : undefined]);
    }
    net.dispose();
  });

  it('mse: the batch mean of Keras mean squared error; a custom loss function with a task', () => {
    const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, kernelInitializer: 'ones' })] });
    const m = fromLayersModel(net, 'mse');
    expect(m.task).toBe('regression');
    // ŷ = x·1 + 0: rows x = 1 (y 0) and x = 3 (y 1): errors 1 and 2, mse = (1 + 4)/2 = 2.5
    // ∂w = (2/2)(1·1 + 2·3) = 7, ∂b = (2/2)(1 + 2) = 3
    const { value, grads } = valueAndGrads(() => m.loss(m.params, exampleBatch([[1], [3]], [0, 1])), m.params);
    expect(value.dataSync()[0]).toBeCloseTo(2.5, 6);
    const [w, b] = Object.keys(m.params);
    close(grads[w].dataSync(), [7]);
    close(grads[b].dataSync(), [3]);
    disposeTree([value, grads]);
    const mae = fromLayersModel(net, (yTrue, yPred) => tf.abs(tf.sub(yTrue, yPred)), { task: 'regression' });
    const l = mae.loss(mae.params, exampleBatch([[1], [3]], [0, 1])); // (1 + 2)/2 = 1.5
    expect(l.dataSync()[0]).toBeCloseTo(1.5, 6);
    l.dispose();
    expect(() => fromLayersModel(net, (t, p) => tf.sub(t, p))).toThrow('Expected `task` given with a loss function, got undefined');
    net.dispose();
  });

  it('scoreRows equals predictProba, and predict gives the class', async () => {
    await expectNoLeak(() => {
      const net = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [4], units: 5, activation: 'tanh' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
      });
      const m = fromLayersModel(net, 'binaryCrossentropy');
      const batch = randomBatch(6, 4, (i) => i % 2);
      const xs = tf.tensor2d(batch.x, [6, 4]);
      const proba = m.predictProba!(m.params, xs);
      const cls = m.predict(m.params, xs);
      const out = new Float32Array(12);
      m.scoreRows(m.params, batch, out);
      close(out, Array.from(proba.dataSync()));
      const p = proba.dataSync();
      expect(Array.from(cls.dataSync())).toEqual(Array.from({ length: 6 }, (_, i) => (p[2 * i + 1] > 0.5 ? 1 : 0)));
      disposeTree([xs, proba, cls]);
      m.dispose();
    });
  });

  it('rejects bad input, naming the field', () => {
    const net = logisticNet();
    expect(() => fromLayersModel({} as tf.LayersModel, 'mse')).toThrow('Expected `model` a tf.LayersModel (tf.sequential or tf.model), got {}');
    expect(() => fromLayersModel(net, 'hinge' as 'mse')).toThrow('Expected `loss`');
    expect(() => fromLayersModel(net, 'categoricalCrossentropy')).toThrow('Expected `model output` width ≥ 2 for a multiclass task, got 1');
    const two = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
    expect(() => fromLayersModel(two, 'binaryCrossentropy')).toThrow("Expected `model output` width 1 (one sigmoid unit) with 'binaryCrossentropy'");
    const m2 = fromLayersModel(two, 'sparseCategoricalCrossentropy', { task: 'binary' });
    expect([m2.task, m2.outputs]).toEqual(['binary', 2]);
    two.dispose();
    const m = fromLayersModel(net, 'binaryCrossentropy');
    const stranger = { ...m.params, [Object.keys(m.params)[0]]: tf.variable(tf.zeros([2, 1])) };
    expect(() => m.loss(stranger, exampleBatch([[1, 2]], [1]))).toThrow("the model's own variable");
    Object.values(stranger)[0].dispose();
    m.dispose();
  });
});
