import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runOnline, type Figures, type OnlineOptions } from '../../demo/online';

/** Elec2's labels read straight from the file (not through the library). */
const labels = gunzipSync(readFileSync('data/elec2.csv.gz'))
  .toString('utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => Number(line.split(',').at(-1)));

const base: OnlineOptions = { models: ['logistic'], optimizer: 'sgd', lr: 1, batch: 1, delay: 0, detector: 'adwin', checkpointEvery: 50, resume: false };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('npm run online', () => {
  it('scores the baselines on a prefix of Elec2 as a hand count does', async () => {
    const n = 600;
    // No change: the first row is predicted 0 (no label yet), row i > 0 the label of row i − 1.
    let same = labels[0] === 0 ? 1 : 0;
    for (let i = 1; i < n; i++) if (labels[i] === labels[i - 1]) same++;
    // Majority so far: the more frequent label among rows 0 … i − 1 (0 on ties).
    let right = 0;
    const counts = [0, 0];
    for (let i = 0; i < n; i++) {
      if ((counts[1] > counts[0] ? 1 : 0) === labels[i]) right++;
      counts[labels[i]]++;
    }
    const before = tf.memory().numTensors;
    const s = await runOnline({ ...base, limit: n });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.examples).toBe(n);
    expect((s.noChange as Figures).accuracy).toBe(same / n);
    expect((s.majority as Figures).accuracy).toBe(right / n);
    expect((s.logistic as Figures).accuracy).toBeGreaterThan(0.7);
  });

  it('resumed from a checkpoint, ends bit for bit where an uninterrupted run ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-online-'));
    dirs.push(dir);
    const options: OnlineOptions = { ...base, models: ['logistic', 'mlp'], limit: 400 };
    const whole = await runOnline(options);
    await runOnline({ ...options, limit: 230, checkpoint: dir });
    const messages: string[] = [];
    const resumed = await runOnline({ ...options, checkpoint: dir, resume: true, onMessage: (m) => messages.push(m) });
    expect(messages).toEqual([expect.stringMatching(/^logistic: resumed from .* \(step 230, 230 examples\)$/), expect.stringMatching(/^mlp: resumed from .* \(step 230, 230 examples\)$/)]);
    const { examplesPerSecond: _a, ...a } = whole;
    const { examplesPerSecond: _b, ...b } = resumed;
    expect(b).toEqual(a);
    // Resuming a finished run reports the figures saved in its last checkpoint.
    const again = await runOnline({ ...options, checkpoint: dir, resume: true });
    const { examplesPerSecond: _c, ...c } = again;
    expect(c).toEqual(a);
  });

  it('--json prints one JSON object as the last line: examples, figures per model and baseline, drifts, paramsDigest', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'demo/online.ts', '--limit', '300', '--json'], { encoding: 'utf8' });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(Object.keys(summary).sort()).toEqual(['drifts', 'examples', 'examplesPerSecond', 'logistic', 'majority', 'mlp', 'noChange', 'paramsDigest']);
    expect(summary.examples).toBe(300);
    for (const name of ['logistic', 'mlp', 'noChange', 'majority']) {
      expect(Object.keys(summary[name]).sort()).toEqual(['accuracy', 'logLoss', 'rocAuc']);
      for (const v of Object.values(summary[name])) expect(typeof v).toBe('number');
    }
    for (const name of ['logistic', 'mlp']) {
      expect(Number.isInteger(summary.drifts[name])).toBe(true);
      expect(summary.paramsDigest[name]).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('a bad flag is one line naming it and exit code 1, without a stack trace or tfjs\'s banner', async () => {
    const err = await promisify(execFile)('npx', ['tsx', 'demo/online.ts', '--lr', '-1'], { encoding: 'utf8' }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr.trim()).toBe('online: Expected `lr` > 0, got -1');
  });
});
