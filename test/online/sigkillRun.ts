/**
 * The training run of the SIGKILL test (test/online/sigkill.test.ts), as a program:
 *
 *   tsx test/online/sigkillRun.ts <dir> <adam|sgd> <rows>   (the test runs it bundled by esbuild)
 *
 * Resumes from the newest checkpoint in <dir> (if any), replays the first <rows> rows of Elec2
 * through test-then-train evaluation (delay 5 examples), a schedule, the optimizer and
 * checkpoints every 10 steps; prints `started <step>` when training starts, and at the end one
 * JSON line: the last step, the metrics, the baselines and the parameters' float32 values.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { accuracy } from '../../src/metrics/accuracy';
import { logLoss } from '../../src/metrics/logLoss';
import { majority } from '../../src/metrics/majority';
import { noChange } from '../../src/metrics/noChange';
import { rocAuc } from '../../src/metrics/rocAuc';
import { rolling } from '../../src/metrics/rolling';
import { logisticRegression } from '../../src/models/logisticRegression';
import { resume } from '../../streams/resume';
import { adam } from '../../src/optimizers/adam';
import { sgd } from '../../src/optimizers/sgd';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { elec2 } from '../../streams/sources/elec2';
import { replay } from '../../streams/sources/replay';
import type { StepResult } from '../../streams/Step';

const [dir, optimizer, rows] = process.argv.slice(2);
await tf.setBackend('cpu');
const full = elec2();
const n = Number(rows);
const table = { n, d: full.d, xs: full.xs.subarray(0, n * full.d), ys: full.ys.subarray(0, n) };
const model = logisticRegression(table.d);
const resumed = resume(dir, model.params);
process.stderr.write(`${resumed.message}\n`);
process.stdout.write(`started ${resumed.checkpoint?.step ?? 0}\n`);

const last = await lastValueFrom(
  replay(table, { batchSize: 8, resume: resumed.checkpoint }).pipe(
    progressiveValidation(model, {
      metrics: [accuracy(), logLoss(), rocAuc(), rolling(accuracy(), { window: 500 })],
      baselines: [noChange(), majority()],
      delay: { examples: 5 },
    }),
    gradients(model.loss, model.params),
    learningRate((step) => 0.5 / Math.sqrt(step)),
    optimize(optimizer === 'adam' ? adam() : sgd({ momentum: 0.9 })),
    applyUpdates(model.params),
    checkpoint({ dir, params: model.params, everySteps: 10, keep: 3 }),
  ),
  // A run killed after its last checkpoint has nothing left to do: it reports what was saved.
  { defaultValue: resumed.checkpoint?.result as StepResult | undefined },
);
const params = Object.fromEntries(Object.entries(model.params).map(([name, v]) => [name, Array.from(v.dataSync())]));
process.stdout.write(`${JSON.stringify({ step: last?.step, examples: last?.examples, metrics: last?.online?.metrics, baselines: last?.online?.baselines, params })}\n`);
