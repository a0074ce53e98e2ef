/**
 * A producer 10× faster than training, with a real nats-server: the backlog stays in the stream,
 * and the trainer's memory stays bounded by `maxAckPending` — the examples it holds (unacked,
 * queued) never exceed it, and its heap does not grow with the backlog.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { delay, from, takeUntil, tap, timer, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accuracy, logisticRegression, sgd } from '../../src/index';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { jetstream } from '../../streams/nats/jetstream';
import { publishExamples } from '../../streams/nats/publishExamples';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { mulberry32 } from '../../streams/sources/mulberry32';
import type { StepResult } from '../../streams/Step';
import { startNatsServer, type NatsServer } from './natsServer';

setFlagsFromString('--expose-gc');
/** A full garbage collection (heap figures without the garbage). */
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

/** Examples published: far more than the trainer can hold. */
const N = 60_000;
const D = 8;
/** The bound under test, and the examples per step. */
const MAX_ACK_PENDING = 500;
const BATCH = 10;
/**
 * Training is held to at most 1 step (10 examples) per this many ms: ≤ 250 examples/s, so that a
 * producer slowed by a loaded CI machine (publishing measured 3.7k–16k/s here) stays 10× faster.
 */
const STEP_MS = 40;
/** How long the trainer trains without a producer beside it. */
const TRAIN_MS = 6_000;

/** N rows of D uniform features, label 1 when the first two add up to more than 1. */
function syntheticTable(): ExampleTable {
  const random = mulberry32(7);
  const xs = Float32Array.from({ length: N * D }, () => random());
  const ys = Float32Array.from({ length: N }, (_, i) => (xs[i * D] + xs[i * D + 1] > 1 ? 1 : 0));
  return { n: N, d: D, xs, ys };
}

describe('a producer 10× faster than training (real nats-server)', () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'rxgrad-nats-memory-'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What a slow trainer did until `stop`, reading through consumer `durable` with this bound. */
  interface SlowRun {
    readonly examples: number;
    readonly seconds: number;
    /** Most examples held unacked, and queued, at any step. */
    readonly maxHeld: number;
    readonly maxQueued: number;
    /** The consumer's backlog once the trainer stopped: messages the server has not delivered. */
    readonly backlog: number;
    /** Heap growth (after a full collection): the most while training, and at the end. */
    readonly maxHeap: number;
    readonly grown: number;
  }

  /**
   * Train logistic regression from the stream until `stop` emits, at most 1 step of BATCH per
   * STEP_MS (a busy wait, as a heavy model would take), checkpointing every 20 steps (acks after it).
   */
  async function slowRun(durable: string, maxAckPending: number, stop: Observable<unknown>): Promise<SlowRun> {
    const tensors = tf.memory().numTensors;
    const model = logisticRegression(D);
    const heap0 = heap();
    let maxHeld = 0;
    let maxQueued = 0;
    let maxHeap = 0;
    let last: StepResult | undefined;
    let firstAt = 0;
    await new Promise<void>((resolve, reject) =>
      jetstream({ servers: server.url, durable, features: D, classes: 2, batchSize: BATCH, maxAckPending })
        .pipe(
          progressiveValidation(model, { metrics: [accuracy()] }),
          gradients(model.loss, model.params),
          optimize(sgd({ lr: 0.5 })),
          applyUpdates(model.params),
          tap(() => {
            const until = performance.now() + STEP_MS;
            while (performance.now() < until);
          }),
          takeUntil(stop),
          // Acks come after this checkpoint: 20 steps × 10 examples between two, within the bound.
          checkpoint({ dir: join(dir, durable), params: model.params, everySteps: 20 }),
        )
        .subscribe({
          next: (r) => {
            firstAt ||= performance.now();
            last = r;
            const c = r.online!.ingest!;
            maxHeld = Math.max(maxHeld, c.ackPending!);
            maxQueued = Math.max(maxQueued, c.queued);
            if (r.step % 25 === 0) maxHeap = Math.max(maxHeap, heap() - heap0);
          },
          error: reject,
          complete: resolve,
        }),
    );
    const seconds = (performance.now() - firstAt) / 1000;
    model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    const nc = await connect({ servers: server.url });
    const backlog = (await (await jetstreamManager(nc)).consumers.info('rxgrad', durable)).num_pending;
    await nc.close();
    return { examples: last!.examples, seconds, maxHeld, maxQueued, backlog, maxHeap, grown: heap() - heap0 };
  }

  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  let bounded: SlowRun;

  it('holds at most maxAckPending examples and a flat heap while the backlog grows in the stream', async () => {
    const t0 = performance.now();
    // The producer: everything as fast as the stream acks (256 publishes in flight), beside the trainer.
    const producing = publishExamples({ servers: server.url, examples: syntheticTable(), idPrefix: 'synthetic', inFlight: 256 }).then((r) => ({ ...r, seconds: (performance.now() - t0) / 1000 }));
    // The trainer trains until the producer is done, and a second more.
    const [produced, run] = await Promise.all([producing, slowRun('bounded', MAX_ACK_PENDING, from(producing).pipe(delay(1000)))]);
    bounded = run;
    const trainRate = run.examples / run.seconds;
    const publishRate = produced.published / produced.seconds;
    console.log(
      `producer ${Math.round(publishRate)} examples/s (${produced.published} in ${produced.seconds.toFixed(1)} s), trainer ${Math.round(trainRate)} examples/s ` +
        `(${run.examples} in ${run.seconds.toFixed(1)} s); held at most ${run.maxHeld} unacked, ${run.maxQueued} queued; backlog ${run.backlog}; ` +
        `heap +${mib(run.maxHeap)} at most while training, +${mib(run.grown)} at the end`,
    );
    expect(produced.published).toBe(N);
    // The producer really is 10× faster than training.
    expect(publishRate).toBeGreaterThan(10 * trainRate);
    // The trainer never holds more than maxAckPending examples (unacked: queued, training or waiting for a checkpoint) …
    expect(run.maxHeld).toBeLessThanOrEqual(MAX_ACK_PENDING);
    expect(run.maxQueued).toBeLessThanOrEqual(MAX_ACK_PENDING);
    // … the rest waits in the stream: never delivered, beyond what was trained and the bound …
    expect(run.examples).toBeLessThan(N / 4);
    expect(run.backlog).toBeGreaterThanOrEqual(N - run.examples - MAX_ACK_PENDING);
    // … and its heap does not follow the backlog (the next test: without the bound, it does).
    expect(run.maxHeap).toBeLessThan(16 * 2 ** 20);
    expect(run.grown).toBeLessThan(16 * 2 ** 20);
  }, 60_000);

  it('without the bound (maxAckPending above the backlog) the same trainer takes the backlog in, and its heap grows with it', async () => {
    const run = await slowRun('unbounded', 2 * N, timer(TRAIN_MS));
    console.log(`maxAckPending ${2 * N}: held at most ${run.maxHeld} unacked, ${run.maxQueued} queued; heap +${mib(run.maxHeap)} at most while training, +${mib(run.grown)} at the end`);
    expect(run.maxHeld).toBeGreaterThan(20 * MAX_ACK_PENDING);
    expect(run.maxHeap).toBeGreaterThan(2 * bounded.maxHeap);
  }, 60_000);
});
