/**
 * MLP 784-256-10 (ReLU, softmax cross-entropy), batch 128, Adam (lr 1e-3): one training step
 * — loss and gradients, the loss read back, Adam's update added to the parameters — on the
 * backend `useBackend('auto')` picks, with rxgrad's `mlp` (its `dense` layers), against the step
 * rxgrad made before `dense` existed: the same network with tfjs's own matMul gradients on wasm.
 * Both use the same Adam (`adam()`, fused 'auto'), the same batch and the same initial weights;
 * their rounds are interleaved.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { adam, addUpdates, disposeReplaced, disposeTree, mlp, valueAndGrads, type Params } from '../src/index';
import { samples, median, pairedRatio } from './measure';

/** The figures of `benchMlp`: ms per step (medians) and the paired ratio ours / before. */
export interface MlpFigures {
  /** The backend `'auto'` picked (where `ours` ran). */
  readonly backend: string;
  readonly ours: number;
  readonly before: number;
  readonly ratio: number;
}

const SIZES = [784, 256, 10];
const BATCH = 128;
/** Steps per timed call (a call then lasts 40–200 ms). */
const STEPS = 5;

/** The network as rxgrad's denseModel wrote it before `dense`: tfjs ops and their gradients. */
function plainLoss(p: Params, xs: tf.Tensor2D, onehot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const h = tf.relu(tf.add(tf.matMul(xs, p.w1 as tf.Tensor2D), p.b1)) as tf.Tensor2D;
    const z = tf.add(tf.matMul(h, p.w2 as tf.Tensor2D), p.b2);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(z)), 1))) as tf.Scalar;
  });
}

/** A runner on `backend`: `run()` makes STEPS steps and returns ms per step. */
async function runner(backend: string, plain: boolean): Promise<{ run: () => Promise<number>; dispose: () => void }> {
  await tf.setBackend(backend);
  const model = mlp(SIZES, { output: 'softmax', seed: 1 });
  const xs = tf.randomUniform([BATCH, SIZES[0]], 0, 1, 'float32', 7) as tf.Tensor2D;
  const labels = Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  const ys = tf.tensor1d(labels, 'int32');
  const onehot = tf.oneHot(ys, 10) as tf.Tensor2D;
  const opt = adam({ lr: 1e-3 });
  let state = opt.init(model.params);
  const batch = { xs, ys };
  const step = () => {
    const f = plain ? () => plainLoss(model.params, xs, onehot) : () => model.loss(model.params, batch);
    const { value, grads } = valueAndGrads(f, model.params);
    value.dataSync();
    const r = opt.update(grads, state, model.params);
    addUpdates(model.params, r.updates);
    disposeReplaced(state, r.state);
    disposeTree([r.updates, grads, value]);
    state = r.state;
  };
  return {
    run: async () => {
      await tf.setBackend(backend);
      const t0 = performance.now();
      for (let i = 0; i < STEPS; i++) step();
      return (performance.now() - t0) / STEPS;
    },
    dispose: () => {
      disposeTree([state, xs, ys, onehot]);
      model.dispose();
    },
  };
}

/**
 * Time the two steps over `rounds` interleaved rounds (after one warm-up call each) and return
 * their medians and the median of the per-round ratios. Leaves `autoBackend` in force.
 *
 * @example
 * const f = await benchMlp(7, await useBackend('auto')); // f.ours, f.before ms/step; f.ratio (target ≤ 0.35)
 */
export async function benchMlp(rounds: number, autoBackend: string): Promise<MlpFigures> {
  const ours = await runner(autoBackend, false);
  const before = await runner('wasm', true);
  const t = await samples({ ours: ours.run, before: before.run }, rounds);
  ours.dispose();
  before.dispose();
  await tf.setBackend(autoBackend);
  return { backend: autoBackend, ours: median(t.ours), before: median(t.before), ratio: pairedRatio(t.ours, t.before) };
}
