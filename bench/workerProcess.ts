/**
 * One gradient worker process of `npm run bench:workers` (bench/workers.ts forks one per worker):
 *
 * 1. loads tfjs (cpu) and the model, then tells the parent `ready`;
 * 2. on `go`, runs `gradientWorker` with the options given as JSON in argv[2] until it has been
 *    idle for a second, and sends back `done` with its last report and its CPU time.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';
import { logisticRegression } from '../src/models/logisticRegression';
import { mlp } from '../src/models/mlp';
import type { Model } from '../src/models/Model';
import { gradientWorker, type GradientWorkerOptions } from '../streams/nats/gradientWorker';

/** The bench's model: logistic regression on Elec2's 6 features, or an MLP 6-…-1 (tanh, sigmoid output, seed 7) with these hidden widths. */
export function buildModel(hidden: readonly number[]): Model {
  return hidden.length === 0 ? logisticRegression(6) : mlp([6, ...hidden, 1], { activation: 'tanh', output: 'sigmoid', seed: 7 });
}

/** Run as a forked worker: wait for `go`, train, report. */
async function work(): Promise<void> {
  await tf.setBackend('cpu');
  silenceTfjsBanner();
  const { hidden, ...options } = JSON.parse(process.argv[2]) as Omit<GradientWorkerOptions, 'model'> & { hidden: number[] };
  const model = buildModel(hidden);
  process.once('message', async () => {
    const c0 = process.cpuUsage();
    const report = await lastValueFrom(gradientWorker({ ...options, model, idleMs: 1000 }), { defaultValue: undefined });
    const cpu = process.cpuUsage(c0);
    process.send!({ type: 'done', report, cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
  });
  process.send!({ type: 'ready' });
}

if (process.send) await work();
