import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { natsServerMissing } from '../nats/natsServer';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The short CI version of `npm run bench:model-store` (the README's "Model store" figures): it runs
// against its own nats-server and times every operation. Timing is never asserted.
describe('bench:model-store (a real nats-server)', () => {
  it('times puts of 9, 4,225 and 263,169 parameters (the last over 1 MiB: the Object Store), loads, and checkpoint writes to NATS and to a file', () => {
    const missing = natsServerMissing();
    if (missing) throw new Error(missing); // never a skip
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['bench/modelStore.ts', '--puts', '2', '--loads', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rows: { what: string; bytes: number; ms: number }[] };
    expect(report.rows.map((row) => row.what.replace(/, [\d,]+ parameters$/, ''))).toEqual([
      'publishModel put',
      'loadModelVersion (its connection included)',
      'publishModel put',
      'loadModelVersion (its connection included)',
      'publishModel put',
      'loadModelVersion (its connection included)',
      'checkpoint write, 20 KB: natsCheckpoints (acknowledged)',
      'checkpoint write, 20 KB: fileCheckpoints (fsynced, renamed)',
    ]);
    // 263,169 float32 values: 1,052,676 bytes, 4/3 of that in base64 — over 1 MiB, so through the Object Store
    expect(report.rows[4].bytes).toBeGreaterThan(2 ** 20);
    for (const row of report.rows) expect(row.ms).toBeGreaterThan(0);
  }, 180_000);
});
