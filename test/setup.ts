import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';

// Every test runs on the pure-JS CPU backend: deterministic float32, available everywhere.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  silenceTfjsBanner(); // no "install our node backend" banner in every test file's output
});
