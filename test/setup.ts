import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';

// The per-user token file (userToken) of tests and of the processes they start: never the user's own.
const configDir = process.env.RXGRAD_CONFIG_DIR ? undefined : mkdtempSync(join(tmpdir(), 'rxgrad-test-config-'));
if (configDir) process.env.RXGRAD_CONFIG_DIR = configDir;
afterAll(() => {
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

// Every test runs on the pure-JS CPU backend: deterministic float32, available everywhere.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  silenceTfjsBanner(); // no "install our node backend" banner in every test file's output
});
