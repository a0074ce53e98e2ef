import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { publishModel } from '../../streams/nats/publishModel';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { snapshots } from '../../streams/operators/snapshots';
import { replay } from '../../streams/sources/replay';
import { launchRun } from '../online/launchRun';
import { syntheticTable } from '../online/syntheticTable';
import { startNatsServer, type NatsServer } from './natsServer';

// replicaRun.ts bundled by esbuild into tmp/ (git-ignored) and run by plain node, one process per replica.
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'tmp', `replicas-${process.pid}`, 'replicaRun.mjs');
let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
  await build({ entryPoints: [fileURLToPath(new URL('./replicaRun.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' });
}, 30_000);
afterAll(async () => {
  rmSync(dirname(bundle), { recursive: true, force: true });
  await server?.close();
});

describe('replicas in other processes (a real nats-server)', () => {
  it('two replica processes follow a trainer; after it stops both serve its last version, with the trained model\'s probabilities bit for bit', async () => {
    const d = 3;
    const table = syntheticTable(200, d, 9);
    // 200 rows, batch 4: 50 steps, a snapshot every 10: versions 1–5
    const replicas = [0, 1].map(() => launchRun(bundle, [server.url, 'served', String(d), '5'], root));
    await Promise.all(replicas.map((r) => new Promise<void>((resolve) => { const t = setInterval(() => r.stdout().includes('ready') && (clearInterval(t), resolve()), 10); })));

    const model = logisticRegression(d);
    const snaps = snapshots({ everySteps: 10, params: model.params });
    const published = lastValueFrom(snaps.snapshots$.pipe(publishModel({ servers: server.url, key: 'served' })));
    await lastValueFrom(replay(table, { batchSize: 4, rate: 2000 }).pipe(gradients(model.loss, model.params), optimize(sgd({ lr: 0.5 })), applyUpdates(model.params), snaps.operator));
    expect(await published).toMatchObject({ version: 5, step: 50 });

    // the trained model's own probabilities for the same rows
    const x = Float32Array.from({ length: 4 * d }, (_, k) => Math.sin((Math.floor(k / d) + 1) * ((k % d) + 1)));
    const batch: ExampleBatch = { n: 4, d, x, y: new Float32Array(4).fill(NaN), ids: new Array(4).fill(undefined), times: new Float64Array(4) };
    const out = new Float32Array(8);
    model.scoreRows(model.params, batch, out);
    const expected = Array.from(new Uint32Array(Float32Array.from({ length: 4 }, (_, i) => out[2 * i + 1]).buffer));

    for (const r of replicas) {
      const exit = await r.exited;
      expect(exit.code, r.stderr()).toBe(0);
      const line = JSON.parse(r.stdout().trim().split('\n').at(-1)!);
      expect(line).toEqual({ version: 5, step: 50, bits: expected });
    }
    model.dispose();
  }, 60_000);
});
