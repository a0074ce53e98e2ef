/**
 * `npx tsx bench/wasmPipeline.ts [steps] [rounds]`: the MLP 784-256-10 (ReLU, softmax, batch 128,
 * Adam lr 1e-3) through the whole pipeline on the wasm backend — `minibatches → gradients →
 * optimize(adam()) → applyUpdates`, a StepResult (loss, gradient and update norms) per step —
 * CPU ms per step (the process's CPU time), the median of `rounds` runs of `steps` steps after one
 * warm-up run. What `optimize` (which owns Adam's state: in place on the heap) and `applyUpdates`
 * (norms read in place) cost beside the network's own kernels, end to end.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { lastValueFrom } from 'rxjs';
import { adam, mlp } from '../src/index';
import { applyUpdates, gradients, minibatches, optimize } from '../streams/index';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';
import { cpuMs, median } from './measure';

const steps = Number(process.argv[2] ?? 40);
const rounds = Number(process.argv[3] ?? 5);
await tf.setBackend('wasm');
await tf.ready();
silenceTfjsBanner();
const BATCH = 128;
const xs = tf.randomUniform([BATCH * steps, 784], 0, 1, 'float32', 7);
const ys = Array.from({ length: BATCH * steps }, (_, i) => (i * 7) % 10);
const model = mlp([784, 256, 10], { output: 'softmax', seed: 1 });
const opt = adam({ lr: 1e-3 });
const run = async (): Promise<number> => {
  const t0 = cpuMs();
  await lastValueFrom(minibatches({ xs, ys }, { batchSize: BATCH, epochs: 1 }).pipe(gradients(model.loss, model.params), optimize(opt), applyUpdates(model.params)));
  return (cpuMs() - t0) / steps;
};
await run();
const ms: number[] = [];
for (let r = 0; r < rounds; r++) ms.push(await run());
console.log(`MLP 784-256-10, batch 128, Adam, whole pipeline on wasm: ${median(ms).toFixed(2)} CPU ms/step (median of ${rounds} runs of ${steps} steps; ${ms.map((v) => v.toFixed(2)).join(', ')})`);
tf.dispose(xs);
model.dispose();
