import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { natsServerMissing } from '../nats/natsServer';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Row {
  readonly accuracy: number;
  readonly perSecond: number;
  readonly staleShare: number;
  readonly meanStaleness: number;
}

// The short CI version of `npm run bench:workers` (the README's "Several trainers" table): it runs
// against its own nats-server, every row is there, and one worker is exact. Timing is never asserted.
describe('bench:workers (a real nats-server, forked worker processes)', () => {
  it('runs replay, jetstream() and 1 and 2 workers on Elec2; one worker (one gradient in flight) makes exactly the updates replay makes', () => {
    const missing = natsServerMissing();
    if (missing) throw new Error(missing); // never a skip
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['bench/workers.ts', '--runs', '1', '--workers', '1,2', '--limit', '800'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { examples: number; rows: Record<string, Row> };
    expect(report.examples).toBe(800);
    expect(Object.keys(report.rows)).toEqual(['replay', 'jetstream', 'workers × 1', 'workers × 2']);
    // Accuracy is test-then-train over the same 800 rows in the same batches of 16: replay is the reference.
    expect(report.rows.jetstream.accuracy).toBe(report.rows.replay.accuracy);
    expect(report.rows['workers × 1'].accuracy).toBe(report.rows.replay.accuracy);
    expect(report.rows['workers × 1'].meanStaleness).toBe(0);
    for (const row of Object.values(report.rows)) {
      expect(row.perSecond).toBeGreaterThan(0);
      expect(row.staleShare).toBeGreaterThanOrEqual(0);
      expect(row.staleShare).toBeLessThanOrEqual(1);
    }
    // The Markdown table the README quotes.
    expect(r.stdout).toContain('| workers × 2 |');
  }, 300_000);
});
