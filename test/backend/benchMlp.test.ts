import * as tf from '@tensorflow/tfjs';
import { afterAll, expect, it } from 'vitest';
import { benchMlp } from '../../bench/mlp';
import { torchFigures } from '../../bench/torch';

afterAll(async () => {
  await tf.setBackend('cpu');
});

// The short CI versions of `npm run bench -- --mlp` and `-- --torch`: they run and report; they never fail on timing.
it('the MLP benchmark runs both steps on wasm, reports every figure and leaves no tensor behind', async () => {
  const before = tf.memory().numTensors;
  const f = await benchMlp(1, 'wasm');
  expect(f.backend).toBe('wasm');
  expect(tf.getBackend()).toBe('wasm');
  for (const v of [f.ours, f.before, f.ratio]) expect(v).toBeGreaterThan(0);
  expect(tf.memory().numTensors).toBe(before);
});

it('the PyTorch comparison says why it has no figures when the python cannot run', () => {
  expect(torchFigures('/nonexistent/python3', ['mlp'], 1)).toBe(
    'PyTorch figures skipped: /nonexistent/python3 could not run (ENOENT); pass --python <path to a python3 with torch>.',
  );
});
