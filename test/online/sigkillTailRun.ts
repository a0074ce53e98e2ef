/**
 * The training run of the tail SIGKILL test (test/online/sigkillTail.test.ts), as a program:
 *
 *   node sigkillTailRun.mjs <file.ndjson> <checkpoint dir> <valid examples in the file>
 *
 * Resumes from the newest checkpoint in <dir> (if any), follows the NDJSON file with `tail`
 * (batches of 8 by count, 6 features; malformed lines rejected and counted) through test-then-train
 * evaluation (labels 5 examples late, noChange and majority beside), ADWIN, adam and checkpoints
 * every 10 steps, until every valid example was trained; prints `started <step>` when training
 * starts and at the end one JSON line: the last step, examples, metrics, baselines, ingest
 * counters, drifts and the parameters' float32 values.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, takeWhile } from 'rxjs';
import { adwin } from '../../src/drift/adwin';
import { accuracy } from '../../src/metrics/accuracy';
import { logLoss } from '../../src/metrics/logLoss';
import { majority } from '../../src/metrics/majority';
import { noChange } from '../../src/metrics/noChange';
import { rolling } from '../../src/metrics/rolling';
import { logisticRegression } from '../../src/models/logisticRegression';
import { adam } from '../../src/optimizers/adam';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { detectDrift } from '../../streams/operators/detectDrift';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { resume } from '../../streams/resume';
import { tail } from '../../streams/sources/tail';
import type { StepResult } from '../../streams/Step';

const [file, dir, valid] = process.argv.slice(2);
const total = Number(valid);
await tf.setBackend('cpu');
const model = logisticRegression(6);
const resumed = resume(dir, model.params);
process.stderr.write(`${resumed.message}\n`);
process.stdout.write(`started ${resumed.checkpoint?.step ?? 0}\n`);

const report = (last: StepResult | undefined) => {
  const params = Object.fromEntries(Object.entries(model.params).map(([name, v]) => [name, Array.from(v.dataSync())]));
  const o = last?.online;
  process.stdout.write(`${JSON.stringify({ step: last?.step, examples: last?.examples, metrics: o?.metrics, baselines: o?.baselines, ingest: o?.ingest, drifts: o?.drifts, params })}\n`);
};

// A run killed after the checkpoint of its last step has nothing left to read: it reports what was saved.
if (resumed.checkpoint?.examples === total) report(resumed.checkpoint.result as unknown as StepResult);
else {
  const last = await lastValueFrom(
    tail(file, { batchSize: 8, features: 6, pollMs: 20, resume: resumed.checkpoint }).pipe(
      progressiveValidation(model, {
        metrics: [accuracy(), logLoss(), rolling(accuracy(), { window: 200 })],
        baselines: [noChange(), majority()],
        delay: { examples: 5 },
      }),
      detectDrift(adwin()),
      gradients(model.loss, model.params),
      optimize(adam({ lr: 0.05 })),
      applyUpdates(model.params),
      checkpoint({ dir, params: model.params, everySteps: 10, keep: 3 }),
      takeWhile((r) => r.examples < total, true),
    ),
  );
  report(last);
}
