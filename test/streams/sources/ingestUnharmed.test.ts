import { lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { accuracy } from '../../../src/metrics/accuracy';
import { logLoss } from '../../../src/metrics/logLoss';
import { noChange } from '../../../src/metrics/noChange';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { sgd } from '../../../src/optimizers/sgd';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { progressiveValidation } from '../../../streams/operators/progressiveValidation';
import { metricsServer, type MetricsServer } from '../../../streams/sinks/MetricsServer';
import { ingest } from '../../../streams/sources/ingest';
import { replay } from '../../../streams/sources/replay';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import type { Step, StepResult } from '../../../streams/Step';
import type { Observable } from 'rxjs';
import { connect, type TestClient } from '../../sinks/wsClient';
import { expectNoLeak } from '../../helpers';

// 40 valid examples (2 features, label x0 > x1) sent in messages of 5.
const xs = Array.from({ length: 40 }, (_, i) => [((i * 7) % 11) / 10, ((i * 5) % 13) / 12]);
const ys = xs.map(([a, b]) => (a > b ? 1 : 0));
const examples = xs.map((x, i) => ({ x, y: ys[i] }));

const train = (steps: Observable<Step<ExampleBatch>>, model: ReturnType<typeof logisticRegression>) =>
  steps.pipe(
    progressiveValidation(model, { metrics: [accuracy(), logLoss()], baselines: [noChange()] }),
    gradients(model.loss, model.params),
    optimize(sgd({ lr: 0.5 })),
    applyUpdates(model.params),
  );
const values = (model: ReturnType<typeof logisticRegression>) => Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v.dataSync())]));

describe('the ingest endpoint fed malformed input while a run trains', () => {
  let server: MetricsServer | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.ws.close();
    await server?.close();
  });

  it('the run ends exactly as a run of the valid examples alone: same parameters and metrics; every bad input answered', async () => {
    // The reference: the 40 valid examples replayed in order, one per step.
    const ref = logisticRegression(2);
    const expected = await lastValueFrom(train(replay({ xs, ys }, { batchSize: 1 }), ref));
    const refParams = values(ref);
    ref.dispose();

    server = await metricsServer({ token: 'test-token-123', staticDir: null, maxMessageBytes: 4096 });
    client = connect(server.port, 'test-token-123');
    await client.next((m) => m.type === 'hello');
    const model = logisticRegression(2);
    await expectNoLeak(async () => {
      // features: 2 — without it the first valid-looking example fixes the width, and a producer's
      // first example of 3 features would make every later one "wrong" (and fail the model)
      // classes: 2 — without it a label the binary model cannot take (7) fails the run at the evaluation
      const { steps } = ingest(server!, 'live', { batchSize: 1, features: 2, classes: 2 });
      const results = lastValueFrom(train(steps, model).pipe(take(40), toArray()));
      const answer = (id: number) => client!.next((m) => (m.type === 'ack' || m.type === 'reject') && (m as { id?: number }).id === id);
      const bad: unknown[] = [
        '{"type":"examples","run":"live",', // malformed JSON
        'null',
        '[1,2,3]',
        { type: 'examples', run: 'live', examples: Array.from({ length: 200 }, () => ({ x: [0.123456789, 0.987654321], y: 1 })) }, // over 4096 bytes
        { type: 'examples', run: 'live', examples: 'not an array' },
        { type: 'examples', run: 'live', examples: [] },
        { type: 'examples', run: 'live', examples: [{ x: [1, 2] }], extra: true },
        { type: 'examples', run: 'elsewhere', examples: [{ x: [1, 2], y: 1 }] },
        { type: 'examples', run: '__proto__', examples: [{ x: [1, 2], y: 1 }] },
        { type: 'labels', run: 'live', labels: [{ id: {}, y: 1 }] },
        { type: 'labels', run: 'live', labels: [{ id: 1, y: 1 }, { id: 2, y: 3 }] }, // not a class
        { type: 'nonsense' },
      ];
      let id = 0;
      for (let m = 0; m < 8; m++) {
        // bad input before each good message, and bad examples inside it (wrong width, NaN-like, a string, an unknown field)
        for (const b of bad) client!.send(typeof b === 'string' ? b : { ...(b as object), id: ++id });
        client!.send({ type: 'examples', run: 'live', id: ++id, examples: [{ x: [1, 2, 3], y: 1 }, ...examples.slice(5 * m, 5 * m + 5), { x: [1, 2], y: 7 }, { x: [1, 2], y: 0.5 }, { x: [null, 1] }, { x: ['1', 2] }, { x: [1, 2], z: 1 }] });
        expect(await answer(id)).toEqual({ type: 'ack', id, detail: '11 received: 5 queued, 6 rejected (last: Expected `z` absent (an example has x, y, id, time), got it)' });
      }
      const got: StepResult[] = await results;
      const last = got.at(-1)!;
      expect(last.examples).toBe(40);
      expect(values(model)).toEqual(refParams);
      expect(last.online!.metrics).toEqual(expected.online!.metrics);
      expect(last.online!.baselines).toEqual(expected.online!.baselines);
      // every bad input was answered with a reject; those naming the run are counted in its StepResults
      const rejects = client!.messages.filter((m) => m.type === 'reject').length;
      expect(rejects).toBe(8 * bad.length);
      expect(last.online!.ingest).toMatchObject({ trained: 40, queued: 0, dropped: 0 });
      expect(last.online!.ingest!.rejected).toBeGreaterThanOrEqual(8 * 6);
      expect(client!.messages.some((m) => m.type === 'reject' && m.reason === 'Expected `labels[1].y` a class index in [0, 2), got 3')).toBe(true);
    });
    model.dispose();
  });
});
