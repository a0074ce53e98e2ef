import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { asyncScheduler, delay, filter, from, lastValueFrom, Observable, observeOn, take, tap, toArray, type MonoTypeOperatorFunction } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { accuracy } from '../../../src/metrics/accuracy';
import { noChange } from '../../../src/metrics/noChange';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { sgd } from '../../../src/optimizers/sgd';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { progressiveValidation } from '../../../streams/operators/progressiveValidation';
import type { MessageHandler, MetricsServer } from '../../../streams/sinks/MetricsServer';
import type { CustomMessage } from '../../../streams/sinks/parseControlMessage';
import { csv } from '../../../streams/sources/csv';
import { fromExamples } from '../../../streams/sources/fromExamples';
import { ingest } from '../../../streams/sources/ingest';
import { ndjson } from '../../../streams/sources/ndjson';
import { replay } from '../../../streams/sources/replay';
import { tail } from '../../../streams/sources/tail';
import type { Step } from '../../../streams/Step';
import { expectNoLeak } from '../../helpers';

// 24 examples, 2 features, a label that is 1 when x0 > x1 (a fixed, easy stream).
const xs = Array.from({ length: 24 }, (_, i) => [((i * 7) % 11) / 10, ((i * 5) % 13) / 12]);
const ys = xs.map(([a, b]) => (a > b ? 1 : 0));

type Op = MonoTypeOperatorFunction<Step<ExampleBatch>>;
const sources: Record<string, () => Observable<Step<ExampleBatch>>> = {
  'replay (synchronous)': () => replay({ xs, ys }, { batchSize: 4 }),
  'replay (at a rate)': () => replay({ xs, ys }, { batchSize: 4, rate: 1e5 }),
  'fromExamples (a push source)': () => fromExamples(from(xs.map((x, i) => ({ x, y: ys[i] }))), { batchSize: 4 }),
};

/** The run: source → op → test-then-train → gradients → op2 → sgd; the parameters, accuracy, noChange and numTensors seen at every result. */
async function run(source: () => Observable<Step<ExampleBatch>>, op: Op, op2: MonoTypeOperatorFunction<Step<any>> = (s) => s) {
  const model = logisticRegression(2);
  const live: number[] = [];
  const results = await lastValueFrom(
    source().pipe(
      op,
      progressiveValidation(model, { metrics: [accuracy()], baselines: [noChange()] }),
      gradients(model.loss, model.params),
      op2,
      optimize(sgd({ lr: 0.5 })),
      applyUpdates(model.params),
      tap(() => live.push(tf.memory().numTensors)),
      toArray(),
    ),
  );
  const last = results[results.length - 1];
  const out = {
    steps: results.map((r) => r.step),
    params: Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v.dataSync())])),
    online: last.online,
    live,
  };
  model.dispose();
  return out;
}

describe('a delay or observeOn after an online source', () => {
  // The source opens its run with RunScope.open, so the operators downstream hold it from their
  // subscription: a step travelling through the delay is never freed early, steps dropped
  // downstream are freed, and nothing is left when the run ends (complete or unsubscribe).
  const ops: [string, Op][] = [
    ['delay(1)', delay(1)],
    ['observeOn(async)', observeOn(asyncScheduler)],
  ];
  const same: Op = (s) => s;
  for (const [name, source] of Object.entries(sources)) {
    for (const [opName, op] of ops) {
      it(`${name} → ${opName}: every step arrives with the values of a run without it; numTensors flat, nothing left`, async () => {
        const plain = await run(source, same);
        await expectNoLeak(async () => {
          const got = await run(source, op);
          expect(got.steps).toEqual([1, 2, 3, 4, 5, 6]);
          expect(got.params).toEqual(plain.params);
          expect(got.online).toEqual(plain.online);
          // the same number of tensors alive at every result: none pile up
          expect(new Set(got.live).size).toBe(1);
        });
      });

      it(`${name} → ${opName}, steps dropped after gradients: the dropped steps are freed`, async () => {
        await expectNoLeak(async () => {
          const got = await run(source, op, filter((s) => s.step % 2 === 1));
          expect(got.steps).toEqual([1, 3, 5]);
        });
      });

      it(`${name} → gradients → ${opName}: the steps travelling with their gradients reach applyUpdates`, async () => {
        await expectNoLeak(async () => {
          const got = await run(source, same, op as MonoTypeOperatorFunction<Step<any>>);
          expect(got.steps).toEqual([1, 2, 3, 4, 5, 6]);
          expect(Object.values(got.params).flat().every(Number.isFinite)).toBe(true);
        });
      });

      it(`${name} → ${opName}: an unsubscribe while steps wait frees them`, async () => {
        await expectNoLeak(async () => {
          const model = logisticRegression(2);
          const before = tf.memory().numTensors;
          await new Promise<void>((done) => {
            const sub = source()
              .pipe(
                op,
                gradients(model.loss, model.params),
                delay(20),
                optimize(sgd({ lr: 0.5 })),
                applyUpdates(model.params),
              )
              .subscribe({ error: done });
            setTimeout(() => {
              expect(tf.memory().numTensors).toBeGreaterThan(before); // gradients held by the delay
              sub.unsubscribe();
              done();
            }, 10);
          });
          model.dispose();
        });
      });
    }
  }
});

describe('every online source through a training run: no tensor left after complete, error and early unsubscribe', () => {
  // The source tests check each source alone (its steps hold no tensor); here the steps go
  // through test-then-train and an update, so the run's tensors are made and must all be freed.
  const dir = mkdtempSync(join(tmpdir(), 'rxgrad-own-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ndjsonLines = xs.map((x, i) => `${JSON.stringify({ x, y: ys[i] })}\n`);
  const csvLines = ['a,b,y\n', ...xs.map((x, i) => `${x[0]},${x[1]},${ys[i]}\n`)];
  const file = join(dir, 'examples.ndjson');
  writeFileSync(file, ndjsonLines.join(''));
  /** A readable that sends the first lines, then fails. */
  const failing = (lines: string[]) => () => {
    const r = new PassThrough();
    r.write(lines.slice(0, 9).join(''));
    setTimeout(() => r.destroy(new Error('source failed')), 20);
    return r;
  };
  /** An ingest run fed by calling the server's handler (as a producer's message would). */
  const ingested = () => {
    const handlers = new Map<string, MessageHandler>();
    const server = { handle: (type: string, h: MessageHandler) => void handlers.set(type, h) } as unknown as MetricsServer;
    const { steps } = ingest(server, 'live', { batchSize: 4 });
    return new Observable<Step<ExampleBatch>>((subscriber) => {
      const sub = steps.subscribe(subscriber);
      handlers.get('examples')!({ type: 'examples', run: 'live', examples: xs.map((x, i) => ({ x, y: ys[i] })) } as unknown as CustomMessage);
      return sub;
    });
  };
  const cases: Record<string, { make: () => Observable<Step<ExampleBatch>>; failing?: () => Observable<Step<ExampleBatch>>; endless?: boolean }> = {
    replay: { make: () => replay({ xs, ys }, { batchSize: 4 }) },
    fromExamples: { make: () => fromExamples(from(xs.map((x, i) => ({ x, y: ys[i] }))), { batchSize: 4 }) },
    ndjson: { make: () => ndjson(() => Readable.from(ndjsonLines), { batchSize: 4 }), failing: () => ndjson(failing(ndjsonLines), { batchSize: 4 }) },
    csv: { make: () => csv(() => Readable.from(csvLines), { batchSize: 4 }), failing: () => csv(failing(csvLines), { batchSize: 4 }) },
    tail: { make: () => tail(file, { batchSize: 4, pollMs: 10 }), endless: true },
    ingest: { make: ingested, endless: true },
  };
  const train = (steps: Observable<Step<ExampleBatch>>, model: ReturnType<typeof logisticRegression>) =>
    steps.pipe(
      progressiveValidation(model, { metrics: [accuracy()], baselines: [noChange()] }),
      gradients(model.loss, model.params),
      optimize(sgd({ lr: 0.5 })),
      applyUpdates(model.params),
    );
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const model = logisticRegression(2);
      await expectNoLeak(async () => {
        // complete (a source that never completes by itself is cut after its 6 steps)
        const all = await lastValueFrom(train(c.make(), model).pipe(c.endless ? take(6) : (s) => s, toArray()));
        expect(all.map((r) => r.examples)).toEqual([4, 8, 12, 16, 20, 24]);
        // an error downstream of the update, at step 2
        const fail = tap<{ step: number }>((r) => {
          if (r.step === 2) throw new Error('consumer failed');
        });
        await expect(lastValueFrom(train(c.make(), model).pipe(fail))).rejects.toThrow('consumer failed');
        // the source's own error
        if (c.failing) await expect(lastValueFrom(train(c.failing(), model))).rejects.toThrow('source failed');
        // early unsubscribe
        expect((await lastValueFrom(train(c.make(), model).pipe(take(1)))).step).toBe(1);
      });
      model.dispose();
    });
  }
});
