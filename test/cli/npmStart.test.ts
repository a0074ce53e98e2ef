import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { experiments } from '../../demo/experiments';
import { startDemo } from '../../demo/startDemo';
import { runCli } from './runCli';

const config = mkdtempSync(join(tmpdir(), 'rxgrad-start-'));
// startDemo's child inherits this environment: the token file goes to a temporary folder.
process.env.RXGRAD_CONFIG_DIR = config;
afterAll(() => rmSync(config, { recursive: true, force: true }));

describe('npm start', () => {
  it('gives every run an id without a dash at either end, and no two the same', () => {
    const ids = experiments.map((e) => e.id);
    expect(ids.filter((id) => /-$|--|^-/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('airfoil-gd-lr-1-batch-1500');
    expect(ids).toContain('airfoil-sgd-lr-0.005-batch-1');
  });

  it('fails on an --only that matches nothing before printing an address', async () => {
    const error = await startDemo(['--port', '0', '--only', 'nosuch']).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(/^demo exited \(1\) before printing its address:\n--only nosuch: no experiment matches \(ids: trace-1-gd-0.1, /);
  });

  it("serves this user's token (the one `rxgrad token` prints) and no tfjs banner", async () => {
    const demo = await startDemo(['--port', '0', '--only', 'trace-1-gd-0.1', '--pace', '0']);
    try {
      const token = new URL(demo.url).searchParams.get('token');
      expect(token).toBe(readFileSync(join(config, 'token'), 'utf8').trim());
      const printed = runCli(['token'], { RXGRAD_CONFIG_DIR: config });
      expect(await printed.exited).toBe(0);
      expect(printed.output()).toContain(`?token=${token}\n`);
      // The run has trained (its tensors were created) by the time it says it is live.
      await new Promise<void>((resolve) => {
        const check = setInterval(() => /1 run live/.test(demo.output()) && (clearInterval(check), resolve()), 50);
      });
      expect(demo.output()).not.toMatch(/Hi, looks like you are running TensorFlow\.js|tfjs-node/);
    } finally {
      expect(await demo.stop()).toBe(0);
    }
    const again = await startDemo(['--port', '0', '--only', 'trace-1-gd-0.1']);
    expect(new URL(again.url).searchParams.get('token')).toBe(readFileSync(join(config, 'token'), 'utf8').trim());
    await again.stop();
  });
});
