import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointName, listCheckpoints, readCheckpoint, removeTempFiles, writeCheckpoint, type Checkpoint } from '../../streams/checkpointFile';
import { resume } from '../../streams/resume';
import { expectNoLeak } from '../helpers';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxgrad-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A checkpoint of step `step` whose parameter w is [step, −0.1] (as float32). */
const cp = (step: number): Checkpoint => ({
  version: 1,
  step,
  examples: 10 * step,
  params: { w: { shape: [2], dtype: 'float32', values: [step, Math.fround(-0.1)] } },
  state: { source: { step, examples: 10 * step } },
  result: { step, examples: 10 * step, online: { metrics: { accuracy: 0.5 } } },
});

describe('checkpoint files', () => {
  it('are one JSON line and its SHA-256 on a second line, named by step', () => {
    const file = writeCheckpoint(dir, cp(7), 3);
    expect(file).toBe(join(dir, 'checkpoint-000000000007.json'));
    const [line, sum, end] = readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(line)).toEqual(cp(7));
    expect(sum).toBe(`sha256:${createHash('sha256').update(line).digest('hex')}`);
    expect(end).toBe('');
    expect(readCheckpoint(file)).toEqual({ checkpoint: cp(7) });
  });

  it('keep the newest K, and drop those of later steps left by a run this one replaces', () => {
    for (const s of [1, 2, 3, 4]) writeCheckpoint(dir, cp(s), 2);
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([3, 4]);
    writeCheckpoint(dir, cp(2), 2); // a run restarted from step 1: 3 and 4 are its future no more
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([2]);
  });

  it('leave no temp file; a stale one is removed and never listed', () => {
    writeCheckpoint(dir, cp(1), 3);
    writeFileSync(join(dir, `.${checkpointName(2)}.tmp`), '{"half');
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([1]);
    removeTempFiles(dir);
    expect(readdirSync(dir)).toEqual([checkpointName(1)]);
  });

  it('report a truncated, a corrupted and a foreign-version file with the reason', () => {
    const a = writeCheckpoint(dir, cp(1), 5);
    truncateSync(a, 30);
    expect(readCheckpoint(a)).toEqual({ reason: 'truncated or corrupt (no checksum line after the data)' });
    const b = writeCheckpoint(dir, cp(2), 5);
    writeFileSync(b, readFileSync(b, 'utf8').replace('"examples":20', '"examples":21'));
    expect(readCheckpoint(b)).toEqual({ reason: 'corrupt (the checksum does not match the data)' });
    const text = JSON.stringify({ ...cp(3), version: 2 });
    const c = join(dir, checkpointName(3));
    writeFileSync(c, `${text}\nsha256:${createHash('sha256').update(text).digest('hex')}\n`);
    expect(readCheckpoint(c)).toEqual({ reason: 'format version 2 (this rxgrad reads 1)' });
  });

  it('a missing folder has no checkpoints', () => {
    expect(listCheckpoints(join(dir, 'none'))).toEqual([]);
  });
});

describe('resume', () => {
  it('with no checkpoint yet, starts from the beginning and says so', () => {
    const w = tf.variable(tf.zeros([2]));
    const r = resume(join(dir, 'new'), { w });
    expect(r).toEqual({ checkpoint: undefined, skipped: [], message: `no checkpoint in ${join(dir, 'new')}: starting from the beginning` });
    expect(Array.from(w.dataSync())).toEqual([0, 0]);
    w.dispose();
  });

  it('assigns the newest checkpoint\'s parameters bit for bit and returns it', async () => {
    writeCheckpoint(dir, cp(1), 3);
    writeCheckpoint(dir, cp(2), 3);
    const w = tf.variable(tf.zeros([2]));
    await expectNoLeak(() => {
      const r = resume(dir, { w });
      expect(r.checkpoint).toEqual(cp(2));
      expect(r.file).toBe(join(dir, checkpointName(2)));
      expect(r.message).toBe(`resumed from ${join(dir, checkpointName(2))} (step 2, 20 examples)`);
    });
    // float32(−0.1) exactly: the same bits as Math.fround(−0.1)
    expect(Array.from(w.dataSync())).toEqual([2, Math.fround(-0.1)]);
    w.dispose();
  });

  it('skips a truncated newest file, naming it, and uses the previous one', () => {
    writeCheckpoint(dir, cp(1), 3);
    const newest = writeCheckpoint(dir, cp(2), 3);
    truncateSync(newest, 40);
    const w = tf.variable(tf.zeros([2]));
    const r = resume(dir, { w });
    expect(r.checkpoint?.step).toBe(1);
    expect(r.skipped).toEqual([{ file: newest, reason: 'truncated or corrupt (no checksum line after the data)' }]);
    expect(r.message).toBe(`resumed from ${join(dir, checkpointName(1))} (step 1, 10 examples); skipped ${newest}: truncated or corrupt (no checksum line after the data)`);
    expect(Array.from(w.dataSync())).toEqual([1, Math.fround(-0.1)]);
    w.dispose();
  });

  it('with every file corrupt, starts from the beginning and lists them', () => {
    const only = writeCheckpoint(dir, cp(1), 3);
    writeFileSync(only, 'garbage');
    const w = tf.variable(tf.zeros([2]));
    const r = resume(dir, { w });
    expect(r.checkpoint).toBeUndefined();
    expect(r.message).toBe(`no valid checkpoint in ${dir} (${only}: truncated or corrupt (no checksum line after the data)): starting from the beginning`);
    w.dispose();
  });

  it("refuses another model's checkpoint, naming the parameter and both shapes", () => {
    writeCheckpoint(dir, cp(1), 3);
    const w = tf.variable(tf.zeros([3]));
    expect(() => resume(dir, { w })).toThrow(`Expected \`params.w\` shape [3] in the checkpoint ${join(dir, checkpointName(1))}, got shape [2]`);
    const v = tf.variable(tf.zeros([2]));
    expect(() => resume(dir, { v })).toThrow('Expected `params` a parameter named w');
    w.dispose();
    v.dispose();
  });
});
