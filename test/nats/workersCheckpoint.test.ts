/**
 * `ackAfter: 'checkpoint'` with a real nats-server: workers ack only what a durable checkpoint of
 * the updater holds, so an updater that dies loses nothing — the resumed updater trains the
 * examples after its last checkpoint exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy } from '@nats-io/jetstream';
import { lastValueFrom, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { optimize } from '../../streams/operators/optimize';
import { gradientUpdater } from '../../streams/nats/gradientUpdater';
import { gradientWorker, type WorkerReport } from '../../streams/nats/gradientWorker';
import { publishExamples } from '../../streams/nats/publishExamples';
import { resume } from '../../streams/resume';
import { elec2 } from '../../streams/sources/elec2';
import { expectNoLeak } from '../helpers';
import { useNatsServer } from './natsFixture';

const table = elec2();
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("gradientUpdater({ ackAfter: 'checkpoint' }) with a real nats-server", () => {
  const nats = useNatsServer();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxgrad-workers-ckpt-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('an updater that dies after its checkpoint at step 8 loses nothing: steps 9–10 are trained again, once, by the resumed one', async () => {
    const examples = { n: 64, d: table.d, xs: table.xs.slice(0, 64 * table.d), ys: table.ys.slice(0, 64) };
    await publishExamples({ servers: nats.server.url, stream: 'ckpt', subject: 'ckpt.examples', examples, idPrefix: 'ckpt' });
    await nats.jsm.consumers.add('ckpt', { durable_name: 'rxgrad-workers', ack_policy: AckPolicy.Explicit, ack_wait: 1_500_000_000, max_ack_pending: 1000 });
    const common = { servers: nats.server.url, stream: 'ckpt', subject: 'ckpt.examples', updater: 'ckpt.updater', deadLetter: false as const };
    const model = logisticRegression(6);
    const workerModel = logisticRegression(6);
    await expectNoLeak(async () => {
      // Run 1: a checkpoint every 4 steps; the process "dies" at step 10 (after its update, before its checkpoint).
      const run1: number[][] = [];
      const held: WorkerReport[] = [];
      const first = lastValueFrom(
        gradientUpdater({ ...common, params: model.params, staleness: { maxStaleness: 100 }, ackAfter: 'checkpoint' }).pipe(
          tap((s) => run1.push([...s.batch.sequences])),
          optimize(sgd({ lr: 0.5 })),
          applyUpdates(model.params),
          checkpoint({ dir, params: model.params, everySteps: 4 }),
          tap((r) => {
            if (r.step === 10) throw new Error('crash');
          }),
        ),
      ).catch((e: Error) => e);
      const worker1 = lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4, requestTimeoutMs: 1000 }).pipe(tap((r) => held.push(r)))).catch((e: Error) => e);
      expect(((await first) as Error).message).toBe('crash');
      expect(((await worker1) as Error).message).toMatch(/^Expected `updater`/); // step 10 was never answered
      // One worker: step k trained sequences 4k − 3 … 4k. Answered: 1–9; acked: what checkpoint 8 holds.
      expect(run1.flat()).toEqual(range(40));
      expect(held.at(-1)).toMatchObject({ applied: 9, examples: 32, held: 4 });

      // Run 2: resumed from the checkpoint of step 8 (parameters, optimizer and the updater's ledger).
      const r = resume(dir, model.params);
      expect(r.checkpoint?.step).toBe(8);
      const run2: number[][] = [];
      const second = lastValueFrom(
        gradientUpdater({ ...common, params: model.params, staleness: { maxStaleness: 100 }, ackAfter: 'checkpoint', examples: 64, resume: r.checkpoint }).pipe(
          tap((s) => run2.push([...s.batch.sequences])),
          optimize(sgd({ lr: 0.5 })),
          applyUpdates(model.params),
          checkpoint({ dir, params: model.params, everySteps: 4 }),
        ),
      );
      const worker2 = await lastValueFrom(gradientWorker({ ...common, model: workerModel, batchSize: 4, idleMs: 3000 }));
      const last = await second;
      // Exactly once in the final model: checkpoint 8's 32 examples, then everything else (33–40 again) once.
      expect([...run1.slice(0, 8).flat(), ...run2.flat()].sort((a, b) => a - b)).toEqual(range(64));
      expect(run2.flat()).toEqual(expect.arrayContaining(range(40).slice(32)));
      expect(last.step).toBe(16);
      expect(worker2).toMatchObject({ examples: 32, held: 0 });
      expect(resume(dir, model.params).checkpoint?.step).toBe(16);
    });
    const info = await nats.jsm.consumers.info('ckpt', 'rxgrad-workers');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    model.dispose();
    workerModel.dispose();
  });
});
