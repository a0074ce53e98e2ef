import * as tf from '@tensorflow/tfjs';
import { Subject, map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { adam, sgd } from '../../src/index';
import { swappable } from '../../src/swappable';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { metricsServer, type MetricsServer } from '../../streams/sinks/MetricsServer';
import type { PointsMessage, RejectMessage, RunMessage, ServerMessage } from '../../streams/sinks/protocol';
import type { StepResult } from '../../streams/Step';
import { tinyStep } from '../helpers';
import { connect, type TestClient } from './wsClient';

const opened: { server: MetricsServer; client?: TestClient }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    o.client?.ws.close();
    await o.server.close();
  }
});

const points = (c: TestClient): StepResult[] => c.messages.filter((m): m is PointsMessage => m.type === 'points').flatMap((m) => m.points);

describe('swapping the optimizer from the dashboard', () => {
  it('an optimizer message (token-protected socket, schema-checked) swaps a launched run from its next step; wrong names are rejected', async () => {
    const server = await metricsServer({ token: 'swap-token-123', flushMs: 5, maxPointsPerSecond: Infinity });
    const steps = new Subject<number>();
    // w = [1], loss = 2·w: g = 2 at every step.
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1])));
    const opt = swappable({ adam: adam({ lr: 0.1 }), sgd: sgd({ lr: 0.1, momentum: 0.9 }) });
    server.launch({ id: 'swap', name: 'Adam → SGD', optimizers: opt.names }, (controls) =>
      steps.pipe(
        map((k) => tinyStep(k)),
        gradients((p) => tf.tidy(() => p.w.mul(2).sum()) as tf.Scalar, { w }),
        optimize(opt, { switchTo: controls.optimizer }),
        applyUpdates({ w }, { track: ['w'] }),
      ),
    );
    server.run({ id: 'plain', name: 'plain' });
    const c = connect(server.port, server.token);
    opened.push({ server, client: c });
    await c.next((m) => m.type === 'hello');
    steps.next(1);
    steps.next(2);
    c.send({ type: 'optimizer', run: 'swap', name: 'sgd', id: 1 });
    expect(await c.next((m) => m.type === 'ack' && m.id === 1)).toEqual({ type: 'ack', id: 1, detail: 'optimizer sgd for swap from its next step' });
    expect(((await c.next((m: ServerMessage) => m.type === 'run' && m.run.id === 'swap' && m.run.optimizer === 'sgd')) as RunMessage).run.optimizers).toEqual(['adam', 'sgd']);
    steps.next(3);
    steps.next(4);
    await c.next(() => points(c).length === 4);
    const got = points(c);
    // Adam: w = 0.9, 0.8; SGD from step 3 with a fresh buffer: 0.8 − 0.2 = 0.6, then b = 3.8: 0.6 − 0.38 = 0.22.
    [0.9, 0.8, 0.6, 0.22].forEach((v, i) => expect(got[i].values!.w[0]).toBeCloseTo(v, 6));
    expect(got.map((p) => [p.info.optimizer, p.info.optimizerSince])).toEqual([[0, 0], [0, 0], [1, 3], [1, 3]]);
    const cases: [object, string][] = [
      [{ type: 'optimizer', run: 'swap', name: 'lion' }, 'Expected `name` one of the run\'s optimizers (adam, sgd), got "lion"'],
      [{ type: 'optimizer', run: 'plain', name: 'sgd' }, 'Expected `name` an optimizer to swap to (this run has none), got "sgd"'],
      [{ type: 'optimizer', run: 'swap', name: 'x y' }, 'Expected `name` an optimizer name (letters, digits, _ . -; ≤ 64), got "x y"'],
    ];
    for (const [i, [msg, reason]] of cases.entries()) {
      c.send({ ...msg, id: 10 + i });
      expect(((await c.next((m) => m.type === 'reject' && m.id === 10 + i)) as RejectMessage).reason).toBe(reason);
    }
    steps.complete();
    await c.next((m) => m.type === 'run' && m.run.id === 'swap' && m.run.status === 'done');
    c.send({ type: 'optimizer', run: 'swap', name: 'adam', id: 20 });
    expect(((await c.next((m) => m.type === 'reject' && m.id === 20)) as RejectMessage).reason).toBe('Expected `run` a running or paused run, got run `swap` (done)');
    w.dispose();
  });

  it('refuses a socket without the token: nobody else can swap', async () => {
    const server = await metricsServer({ token: 'swap-token-123' });
    opened.push({ server });
    const c = connect(server.port, 'wrong-token');
    expect((await c.closed).code).not.toBe(1000);
    expect(c.messages).toEqual([]);
  });
});
