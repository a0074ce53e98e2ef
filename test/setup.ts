import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';

// The per-user token file (userToken) of tests and of the processes they start: never the user's own.
process.env.RXGRAD_CONFIG_DIR ??= mkdtempSync(join(tmpdir(), 'rxgrad-test-config-'));

// Every test runs on the pure-JS CPU backend: deterministic float32, available everywhere.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  silenceTfjsBanner(); // no "install our node backend" banner in every test file's output
});
