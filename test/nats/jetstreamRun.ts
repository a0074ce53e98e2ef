/**
 * The trainer of the JetStream SIGKILL test (test/nats/sigkillJetstream.test.ts), as a program:
 *
 *   tsx test/nats/jetstreamRun.ts <url> <dir> <durable> <rows>   (the test runs it bundled by esbuild)
 *
 * Resumes from the newest checkpoint in <dir> (if any) and trains a logistic regression on the
 * examples of the JetStream stream `rxgrad` (consumer <durable>, in stream order) through
 * test-then-train evaluation, a schedule, Adam and checkpoints every 10 steps, until <rows>
 * examples are in the model. The checkpoint also holds the ids of every example trained (in
 * order): the ledger the test checks. Prints `started <step>` when training starts, and at the
 * end one JSON line: step, examples, metrics, the ingest counters, the trained ids and the parameters' float32 values.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, takeWhile, tap } from 'rxjs';
import { accuracy } from '../../src/metrics/accuracy';
import { logLoss } from '../../src/metrics/logLoss';
import { logisticRegression } from '../../src/models/logisticRegression';
import { adam } from '../../src/optimizers/adam';
import { jetstream } from '../../streams/nats/jetstream';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { resume } from '../../streams/resume';
import type { RunScope } from '../../streams/RunScope';
import type { StepResult } from '../../streams/Step';

const [url, dir, durable, rows] = process.argv.slice(2);
const n = Number(rows);
await tf.setBackend('cpu');
const model = logisticRegression(6);
const resumed = resume(dir, model.params);
process.stderr.write(`${resumed.message}\n`);
// The ledger: ids of the examples whose updates are in the model, saved with every checkpoint.
const trained: (string | number | undefined)[] = [...((resumed.checkpoint?.state.trained as number[] | undefined) ?? [])];
let scope: RunScope | undefined;

const source = jetstream({ servers: url, durable, features: 6, classes: 2, batchSize: 8, ackWaitMs: 1000, maxAckPending: 200, resume: resumed.checkpoint });
process.stdout.write(`started ${resumed.checkpoint?.step ?? 0}\n`);
const training = source.pipe(
  tap((s) => {
    if (s.scope !== scope) (scope = s.scope)?.register('trained', { save: () => trained.slice() });
    trained.push(...s.batch.ids);
  }),
  progressiveValidation(model, { metrics: [accuracy(), logLoss()], delay: { examples: 5 } }),
  gradients(model.loss, model.params),
  learningRate((step) => 0.5 / Math.sqrt(step)),
  optimize(adam()),
  applyUpdates(model.params),
  takeWhile((r) => r.examples < n, true),
  checkpoint({ dir, params: model.params, everySteps: 10, keep: 3 }),
);
// A run killed after its final checkpoint has nothing left to do: it reports what was saved.
const done = (resumed.checkpoint?.examples ?? 0) >= n;
const last = done ? (resumed.checkpoint?.result as StepResult | undefined) : await lastValueFrom(training);
const params = Object.fromEntries(Object.entries(model.params).map(([name, v]) => [name, Array.from(v.dataSync())]));
process.stdout.write(`${JSON.stringify({ step: last?.step, examples: last?.examples, metrics: last?.online?.metrics, ingest: last?.online?.ingest, trained, params })}\n`);
