/**
 * The durable source and the NATS checkpoint store together (a real nats-server): a `jetstream`
 * trainer whose checkpoints live in the Object Store acks a message only after the NATS write of
 * the checkpoint holding it was confirmed, and a fresh trainer with no local file resumes from
 * NATS and ends bit for bit as a replay of the whole table.
 */
import { lastValueFrom, takeWhile, toArray, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { accuracy } from '../../src/metrics/accuracy';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import type { Checkpoint } from '../../streams/checkpointFile';
import type { CheckpointStore } from '../../streams/CheckpointStore';
import { jetstream } from '../../streams/nats/jetstream';
import { natsCheckpoints } from '../../streams/nats/natsCheckpoints';
import { publishExamples } from '../../streams/nats/publishExamples';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { snapshots } from '../../streams/operators/snapshots';
import { resumeFrom } from '../../streams/resume';
import { replay } from '../../streams/sources/replay';
import type { Step } from '../../streams/Step';
import { elec2Rows, sleep, useNatsServer } from './natsFixture';

const nats = useNatsServer();

const N = 800;
const table = elec2Rows(N);

/** Test-then-train logistic regression, SGD, a checkpoint every 10 steps in `store`, until `n` examples are in the model. */
async function train(source: Observable<Step<ExampleBatch>>, store: CheckpointStore, n: number, resumed?: Checkpoint) {
  const model = logisticRegression(table.d);
  if (resumed) await resumeFrom(store, model.params);
  const snaps = snapshots({ everySteps: 10, params: model.params });
  const last = lastValueFrom(snaps.snapshots$);
  const results = await lastValueFrom(
    source.pipe(
      progressiveValidation(model, { metrics: [accuracy()] }),
      gradients(model.loss, model.params),
      optimize(sgd({ lr: 0.1 })),
      applyUpdates(model.params),
      takeWhile((r) => r.examples < n, true),
      snaps.operator,
      checkpoint({ store, params: model.params, everySteps: 10 }),
      toArray(),
    ),
  );
  const params = [...model.params.w.dataSync(), ...model.params.b.dataSync()];
  model.dispose();
  return { results, params, snapshot: await last };
}

describe('jetstream with checkpoints in NATS', () => {
  it('acks only what a confirmed NATS checkpoint holds; a trainer on another machine resumes from NATS bit for bit', async () => {
    const servers = nats.server.url;
    await publishExamples({ servers, stream: 'moving', subject: 'moving.examples', examples: table, idPrefix: 'moving' });
    const source = (resume?: Checkpoint) => jetstream({ servers, stream: 'moving', subject: 'moving.examples', deadLetter: 'moving.dead', durable: 'trainer', features: table.d, classes: 2, batchSize: 8, maxAckPending: 200, resume });

    // The NATS store, each write held back 100 ms: just before a write reaches NATS, the
    // consumer's ack floor must not be past what the checkpoints already confirmed hold.
    const inner = natsCheckpoints({ servers, key: 'moving' });
    let confirmed = 0;
    const floors: { floor: number; confirmed: number }[] = [];
    const slow: CheckpointStore = {
      ...inner,
      write: async (step, content, keep) => {
        await sleep(100);
        const info = await nats.jsm.consumers.info('moving', 'trainer');
        floors.push({ floor: info.ack_floor.stream_seq, confirmed });
        const name = await inner.write(step, content, keep);
        confirmed = (JSON.parse(content.split('\n')[0]) as Checkpoint).examples;
        return name;
      },
    };
    const first = await train(source(), slow, 400);
    expect(first.results.at(-1)!.examples).toBe(400);
    // its last snapshot (what publishModel would store) names the stream sequence reached
    expect(first.snapshot).toMatchObject({ version: 5, step: 50, sequence: 400, source: { step: 50, examples: 400, position: 400 } });
    expect(floors.length).toBeGreaterThan(1);
    for (const f of floors) expect(f.floor).toBeLessThanOrEqual(f.confirmed);
    // The last write was confirmed after the source had ended: the messages it holds were nak'ed
    // then, not acked (the next trainer acks them from its checkpoint); nothing past 400 was acked.
    expect((await nats.jsm.consumers.info('moving', 'trainer')).ack_floor.stream_seq).toBeLessThanOrEqual(400);

    // Another machine: a fresh model, no local file, the checkpoint read from NATS.
    const store = natsCheckpoints({ servers, key: 'moving' });
    const probe = logisticRegression(table.d);
    const r = await resumeFrom(store, probe.params);
    probe.dispose();
    expect(r.checkpoint?.state.jetstream).toEqual({ ranges: [[1, 400]] });
    const second = await train(source(r.checkpoint), store, N, r.checkpoint);
    const reference = await train(replay(table, { batchSize: 8 }), natsCheckpoints({ servers, key: 'reference' }), N);
    expect(second.params).toEqual(reference.params);
    expect(second.results.at(-1)!.online?.metrics).toEqual(reference.results.at(-1)!.online?.metrics);
    // the messages redelivered to the second trainer that its checkpoint already held were skipped, not trained twice
    expect(second.results.at(-1)!.online?.ingest).toMatchObject({ trained: N });
  }, 60_000);
});
