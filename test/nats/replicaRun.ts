/**
 * A serving replica as its own process, for test/nats/replicas.test.ts:
 *
 *   node replicaRun.mjs <servers> <key> <features> <version>
 *
 * Follows model `key` with `predictor(logisticRegression(features), watchModel(…))`, prints
 * `ready` once watching, and, when it serves `version`, one JSON line with the version, the step
 * and the float32 bits of P(y = 1) for the rows x_i = (sin(i), sin(2i), …), i = 1…4; then exits.
 */
import * as tf from '@tensorflow/tfjs';
import { logisticRegression } from '../../src/models/logisticRegression';
import { watchModel } from '../../streams/nats/watchModel';
import { predictor } from '../../streams/predictor';

const [servers, key, features, version] = process.argv.slice(2);
await tf.setBackend('cpu');
const d = Number(features);
const shape = logisticRegression(d);
const replica = predictor(shape, watchModel({ servers, key }));
process.stdout.write('ready\n');
while (replica.version < Number(version)) await new Promise((r) => setTimeout(r, 5));
const x = Float32Array.from({ length: 4 * d }, (_, k) => Math.sin((Math.floor(k / d) + 1) * ((k % d) + 1)));
const p = replica.predict(x);
const proba = Float32Array.from({ length: 4 }, (_, i) => p.proba![2 * i + 1]);
process.stdout.write(`${JSON.stringify({ version: p.version, step: p.step, bits: Array.from(new Uint32Array(proba.buffer)) })}\n`);
replica.dispose();
shape.dispose();
