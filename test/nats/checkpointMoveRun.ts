/**
 * The trainer of the "restart on another machine" test (test/nats/checkpointMove.test.ts), as a
 * program that keeps no local file:
 *
 *   node checkpointMoveRun.mjs <servers> <key> <rows>   (the test runs it bundled by esbuild)
 *
 * Resumes from the newest checkpoint of run <key> in NATS (if any), replays the first <rows> rows
 * of Elec2 at 5,000 rows/s through test-then-train evaluation (delay 5 examples), a schedule and Adam, with
 * checkpoints every 10 steps in the NATS Object Store; prints `started <step>` when training
 * starts, and at the end one JSON line: the last step, the metrics, the baselines and the
 * parameters' float32 bits.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { accuracy } from '../../src/metrics/accuracy';
import { logLoss } from '../../src/metrics/logLoss';
import { majority } from '../../src/metrics/majority';
import { noChange } from '../../src/metrics/noChange';
import { logisticRegression } from '../../src/models/logisticRegression';
import { adam } from '../../src/optimizers/adam';
import { natsCheckpoints } from '../../streams/nats/natsCheckpoints';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { resumeFrom } from '../../streams/resume';
import { elec2 } from '../../streams/sources/elec2';
import { replay } from '../../streams/sources/replay';
import type { StepResult } from '../../streams/Step';

const [servers, key, rows] = process.argv.slice(2);
await tf.setBackend('cpu');
const full = elec2();
const n = Number(rows);
const table = { n, d: full.d, xs: full.xs.subarray(0, n * full.d), ys: full.ys.subarray(0, n) };
const model = logisticRegression(table.d);
const store = natsCheckpoints({ servers, key });
const resumed = await resumeFrom(store, model.params);
process.stderr.write(`${resumed.message}\n`);
process.stdout.write(`started ${resumed.checkpoint?.step ?? 0}\n`);

const last = await lastValueFrom(
  // Paced (5,000 rows/s: a whole run takes ~2.4 s however fast the training is), so the test's
  // kill lands during training and the NATS writes progress between batches; the results do not
  // depend on the pace (label delay counted in examples, schedule by step).
  replay(table, { batchSize: 8, resume: resumed.checkpoint, rate: 5000 }).pipe(
    progressiveValidation(model, { metrics: [accuracy(), logLoss()], baselines: [noChange(), majority()], delay: { examples: 5 } }),
    gradients(model.loss, model.params),
    learningRate((step) => 0.05 / Math.sqrt(step)),
    optimize(adam()),
    applyUpdates(model.params),
    checkpoint({ store, params: model.params, everySteps: 10, keep: 3 }),
  ),
  // A run killed after its last checkpoint has nothing left to do: it reports what was saved.
  { defaultValue: resumed.checkpoint?.result as StepResult | undefined },
);
const params = Object.fromEntries(Object.entries(model.params).map(([name, v]) => [name, Array.from(new Uint32Array(Float32Array.from(v.dataSync()).buffer))]));
process.stdout.write(`${JSON.stringify({ step: last?.step, examples: last?.examples, metrics: last?.online?.metrics, baselines: last?.online?.baselines, params })}\n`);
