/**
 * What the JetStream test files share: a test file's own server and client (`useNatsServer`,
 * registering its `beforeAll`/`afterAll`), Elec2's first rows as a table, a sleep, and the
 * checkpointing trainer they compare (`trainLogistic`).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, takeWhile, toArray, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { afterAll, beforeAll } from 'vitest';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { accuracy } from '../../src/metrics/accuracy';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { resume } from '../../streams/resume';
import type { Step, StepResult } from '../../streams/Step';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { elec2 } from '../../streams/sources/elec2';
import { startNatsServer, type NatsServer } from './natsServer';

/** A test file's server, its client connection and JetStream manager, and temp folders removed at the end. */
export interface NatsFixture {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** A fresh temp folder, removed after the file's tests. */
  tempDir(): string;
}

/**
 * Start a JetStream server and connect to it before the file's tests; close both and remove the
 * temp folders after them. Read the fields inside tests (they exist once `beforeAll` ran).
 *
 * @example
 * const nats = useNatsServer();
 * it('…', async () => { await nats.jsm.streams.info('rxgrad'); });
 */
export function useNatsServer(): NatsFixture {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  }, 20_000);
  afterAll(async () => {
    await nc?.close();
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useNatsServer: read its fields inside tests (after beforeAll)');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get nc() {
      return ready(nc);
    },
    get jsm() {
      return ready(jsm);
    },
    tempDir: () => {
      const d = mkdtempSync(join(tmpdir(), 'rxgrad-nats-test-'));
      dirs.push(d);
      return d;
    },
  };
}

/** Elec2's first n rows. */
export function elec2Rows(n: number): ExampleTable {
  const t = elec2();
  return { n, d: t.d, xs: t.xs.slice(0, n * t.d), ys: t.ys.slice(0, n) };
}

/** Resolve after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How `trainLogistic` trains. */
export interface TrainOptions {
  /** The examples' width. */
  readonly features: number;
  /** Train until this many examples are in the model. */
  readonly n: number;
  /** The checkpoint folder. */
  readonly dir: string;
  /** A checkpoint every this many steps (the acks of a JetStream source follow them). */
  readonly everySteps: number;
  /** Resume the parameters from the folder's newest checkpoint first. */
  readonly resume?: boolean;
  /** Test-then-train accuracy before learning (`progressiveValidation`), on by default. */
  readonly evaluate?: boolean;
  /** An operator put first (a `tap`, a `timeout`). */
  readonly first?: MonoTypeOperatorFunction<Step<ExampleBatch>>;
}

/**
 * The JetStream tests' trainer: logistic regression, SGD (lr 0.1), `checkpoint` after
 * `applyUpdates`, until `n` examples are in the model. Returns every result and the final
 * parameters (the model is freed).
 *
 * @example
 * const { results, params } = await trainLogistic(replay(table, { batchSize: 8 }), { features: table.d, n: 400, dir, everySteps: 10 });
 */
export async function trainLogistic(source: Observable<Step<ExampleBatch>>, options: TrainOptions): Promise<{ results: StepResult[]; params: number[] }> {
  const { n, dir, everySteps } = options;
  const model = logisticRegression(options.features);
  if (options.resume) resume(dir, model.params);
  const steps = options.first ? source.pipe(options.first) : source;
  const evaluated = options.evaluate === false ? steps : steps.pipe(progressiveValidation(model, { metrics: [accuracy()] }));
  const results = await lastValueFrom(
    evaluated.pipe(
      gradients(model.loss, model.params),
      optimize(sgd({ lr: 0.1 })),
      applyUpdates(model.params),
      takeWhile((r) => r.examples < n, true),
      checkpoint({ dir, params: model.params, everySteps }),
      toArray(),
    ),
  );
  const params = [...model.params.w.dataSync(), ...model.params.b.dataSync()];
  model.dispose();
  return { results, params };
}
