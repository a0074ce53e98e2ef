/**
 * nats-server killed (SIGKILL) and restarted on its file store mid-stream while a trainer runs:
 * the trainer reconnects and goes on; every stream message is trained exactly once (acked ones
 * the restarted server delivers again are recognised from the ledger) and the model equals an
 * uninterrupted replay of the same examples, bit for bit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tap, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { jetstream } from '../../streams/nats/jetstream';
import { publishExamples } from '../../streams/nats/publishExamples';
import { replay } from '../../streams/sources/replay';
import type { Step } from '../../streams/Step';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { elec2Rows, trainLogistic } from './natsFixture';
import { startNatsServer, type NatsServer } from './natsServer';

let server: NatsServer;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startNatsServer();
}, 20_000);
afterAll(async () => {
  await server?.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const N = 2000;
const table: ExampleTable = elec2Rows(N);

/** Train until N examples are in the model; `onStep` sees each step first. */
function train(source: Observable<Step<ExampleBatch>>, onStep: (s: Step<ExampleBatch>) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'rxgrad-nats-restart-'));
  dirs.push(dir);
  return trainLogistic(source, { features: table.d, n: N, dir, everySteps: 5, first: tap(onStep) });
}

describe('nats-server restarted mid-stream (SIGKILL, file storage)', () => {
  it('the trainer reconnects and trains every message exactly once; the model equals an uninterrupted replay', async () => {
    const examples = Array.from({ length: N }, (_, i) => ({ x: Array.from(table.xs.subarray(i * table.d, (i + 1) * table.d)), y: table.ys[i], id: i }));
    await publishExamples({ servers: server.url, examples, idPrefix: 'r' });
    const trained: unknown[] = [];
    let restarted: Promise<void> | undefined;
    const source = jetstream({ servers: server.url, durable: 'restart', features: table.d, classes: 2, batchSize: 8, ackWaitMs: 2000, maxAckPending: 200 });
    const got = await train(source, (s) => {
      trained.push(...s.batch.ids);
      // At step 60 (480 examples) the server is killed and started again on its store.
      if (s.step === 60) restarted = server.stop({ kill: true }).then(() => server.restart());
    });
    await restarted;
    const ref = await train(replay(table, { batchSize: 8 }));

    expect(trained).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(got.params).toEqual(ref.params);
    const last = got.results.at(-1)!.online!.ingest!;
    console.log(`after the server restart: ${JSON.stringify(last)}`);
    expect(last).toMatchObject({ trained: N, rejected: 0 });
  }, 25_000);
});
