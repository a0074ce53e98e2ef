import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';

// Every test runs on the pure-JS CPU backend: deterministic float32, available everywhere.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
