import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Run `code` (TypeScript, from the repository root) in a fresh process: tfjs not yet loaded. */
function fresh(code: string): string {
  const r = spawnSync(`${ROOT}node_modules/.bin/tsx`, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

const BANNER = /Hi, looks like you are running TensorFlow\.js in Node\.js/;

describe('silenceTfjsBanner', () => {
  it("keeps tfjs's cpu backend from printing its node-backend banner, leaving PROD and the tensor count as they were", () => {
    const setup = `import * as tf from '@tensorflow/tfjs'; import { silenceTfjsBanner } from './demo/silenceTfjsBanner.ts';
await tf.setBackend('cpu'); await tf.ready();`;
    // Without it, the first tensor prints the banner (the reference this test is about).
    expect(fresh(`${setup} tf.scalar(1).dispose(); console.log('done');`)).toMatch(BANNER);
    const out = fresh(`${setup} silenceTfjsBanner(); console.log(tf.env().getBool('PROD'), tf.memory().numTensors); tf.square(tf.scalar(3)).print();`);
    expect(out).not.toMatch(BANNER);
    expect(out).toBe('false 0\nTensor\n    9\n');
  });
});
