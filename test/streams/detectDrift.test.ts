import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { adwin } from '../../src/drift/adwin';
import { ddm } from '../../src/drift/ddm';
import { detectDrift } from '../../streams/operators/detectDrift';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { mapTree, zerosLike } from '../../src/tree';
import type { Tensors, Transform } from '../../src/types';
import * as tf from '@tensorflow/tfjs';
import { RunScope } from '../../streams/RunScope';
import { disposeStep, type Step } from '../../streams/Step';
import { flippedConcept } from '../../bench/flippedConcept';
import { threshold } from './thresholdDetector';
import { expectNoLeak, marbles, tinyProblem, tinyStep } from '../helpers';
import { identity, tap, type OperatorFunction } from 'rxjs';
import { accuracy } from '../../src/metrics/accuracy';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import type { ExampleBatch } from '../../src/ExampleBatch';
import type { Params } from '../../src/types';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { backgroundModel } from '../../streams/operators/backgroundModel';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import type { LossFn } from '../../streams/operators/gradients';
import { replay } from '../../streams/sources/replay';
import { PyRandom } from '../src/drift/pyRandom';

/** A step of `errors.length` examples ending at example `examples`, with hand-made predictions. */
function errorStep(step: number, errors: number[], examples = step * errors.length, fields: Partial<Step<null>> = {}): Step<null> {
  const n = errors.length;
  return {
    step,
    epoch: 1,
    batch: null,
    size: n,
    examples,
    startedAt: 0,
    hyper: {},
    predictions: { n, yHat: new Float32Array(n), error: Float32Array.from(errors) },
    ...fields,
  };
}


/** Steps of `size` examples cutting `stream` in order (numbers, as errors). */
function batches(stream: number[], size: number, scope?: RunScope, from = 0): Step<null>[] {
  const out: Step<null>[] = [];
  for (let i = from; i < stream.length; i += size) out.push(errorStep(i / size + 1, stream.slice(i, i + size), Math.min(i + size, stream.length), { scope }));
  return out;
}

const online = (s: Step<unknown>) => s.online;

describe('detectDrift: events', () => {
  it('feeds every value in order and reports drifts (and the start of a warning zone) with the example they happened at', async () => {
    // step 1 (examples 1–3): 0, 6, 7 → warning starts at example 2 (statistic 6), continues at 3
    // step 2 (examples 4–6): 12, 0, 5 → drift at 4 (statistic 12), warning starts again at 6
    // step 3 (examples 7–9): 11, 11, 0 → drifts at 7 and 8
    const steps = await lastValueFrom(of(errorStep(1, [0, 6, 7]), errorStep(2, [12, 0, 5]), errorStep(3, [11, 11, 0])).pipe(detectDrift(threshold()), map(online), toArray()));
    const e = (step: number, examples: number, status: 'warning' | 'drift', statistic: number) => ({ step, examples, detector: 'threshold', status, statistic });
    expect(steps).toEqual([
      { drifts: 0, driftEvents: [e(1, 2, 'warning', 6)], lastDrift: 0, driftWarnings: 2 },
      { drifts: 1, driftEvents: [e(2, 4, 'drift', 12), e(2, 6, 'warning', 5)], lastDrift: 2, driftWarnings: 1 },
      { drifts: 3, driftEvents: [e(3, 7, 'drift', 11), e(3, 8, 'drift', 11)], lastDrift: 3, driftWarnings: 0 },
    ]);
  });

  it("River's ADWIN docstring stream cut into steps of 7 still drifts at River's index 1023 (example 1024)", async () => {
    // rng = random.Random(12345); rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000) → "Change detected at index 1023"
    const rng = new PyRandom(12345);
    const stream = [...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000)];
    const out = await lastValueFrom(of(...batches(stream, 7)).pipe(detectDrift(adwin()), toArray()));
    const events = out.flatMap((s) => s.online!.driftEvents!);
    expect(events.map((e) => [e.step, e.examples, e.status])).toEqual([[147, 1024, 'drift']]);
    expect(out[out.length - 1].online!.drifts).toBe(1);
  });

  it('with late labels (fewer or more answers than rows), events count the examples seen at the step', async () => {
    // a step of 3 examples (examples 4–6) that answers 2 earlier questions: both events at example 6
    const step = { ...errorStep(2, [12, 5], 6), size: 3 };
    const [a] = await lastValueFrom(of(step).pipe(detectDrift(threshold()), toArray()));
    expect(a.online!.driftEvents!.map((e) => [e.examples, e.status])).toEqual([
      [6, 'drift'],
      [6, 'warning'],
    ]);
  });

  it('keeps the other online fields and reads other values through `on`', async () => {
    const step = errorStep(1, [0], 1, { online: { metrics: { accuracy: 0.5 }, pending: 2 } });
    const [a] = await lastValueFrom(of(step).pipe(detectDrift(threshold(), { on: () => [3, 10] }), toArray()));
    expect(a.online).toEqual({ metrics: { accuracy: 0.5 }, pending: 2, drifts: 1, driftEvents: [{ step: 1, examples: 1, detector: 'threshold', status: 'drift', statistic: 10 }], lastDrift: 1, driftWarnings: 0 });
    expect(step.online).toEqual({ metrics: { accuracy: 0.5 }, pending: 2 }); // the input step is not modified
  });
});

describe('detectDrift: checkpoints', () => {
  it("registers its state with the run under 'drift' (or `key`), as plain JSON", async () => {
    const scope = new RunScope();
    await lastValueFrom(of(errorStep(1, [1, 12], 2, { scope })).pipe(detectDrift(threshold()), detectDrift(ddm(), { key: 'ddm', on: () => [1, 1] }), toArray()));
    const saved = JSON.parse(JSON.stringify(scope.save()));
    expect(saved.drift).toEqual({ detector: { last: 12 }, drifts: 1, lastDrift: 1, warning: false });
    expect(saved.ddm).toEqual({ detector: { n: 2, p: 1, pMin: null, sMin: null, driftDetected: false, warningDetected: false }, drifts: 0, lastDrift: 0, warning: false });
    // two detectors under one key cannot both be saved
    await expect(lastValueFrom(of(errorStep(1, [1], 1, { scope: new RunScope() })).pipe(detectDrift(threshold()), detectDrift(threshold())))).rejects.toThrow(
      'Expected `key` a checkpoint key not yet used in this run (drift), got "drift"',
    );
  });

  it('a run resumed from a checkpoint taken mid-stream reports exactly the events of an uninterrupted run', async () => {
    const rng = new PyRandom(42);
    const stream = [...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000), ...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000)];
    const eventsOf = (steps: Step<null>[]) => steps.flatMap((s) => s.online!.driftEvents!);
    const straight = eventsOf(await lastValueFrom(of(...batches(stream, 10, new RunScope())).pipe(detectDrift(adwin()), toArray())));
    expect(straight.map((e) => e.examples)).toEqual([1024, 2016, 3008]); // River: indices 1023, 2015, 3007
    // first run: stop after step 150 (example 1500), keep the checkpoint as JSON
    const first = new RunScope();
    const before = await lastValueFrom(of(...batches(stream, 10, first)).pipe(take(150), detectDrift(adwin()), toArray()));
    const checkpoint = JSON.parse(JSON.stringify(first.save()));
    const resumed = new RunScope(checkpoint);
    const after = await lastValueFrom(of(...batches(stream, 10, resumed, 1500)).pipe(detectDrift(adwin()), toArray()));
    expect([...eventsOf(before), ...eventsOf(after)]).toEqual(straight);
    expect(after[after.length - 1].online!.drifts).toBe(3);
    // a checkpoint whose drift state is not one fails the run, naming it
    await expect(lastValueFrom(of(...batches(stream, 10, new RunScope({ drift: { drifts: 'x' } }), 1500)).pipe(detectDrift(adwin())))).rejects.toThrow(
      'Expected `checkpoint.drift` a detectDrift state { detector, drifts, lastDrift, warning }, got {"drifts":"x"}',
    );
  });
});

describe('detectDrift: errors and lifetimes', () => {
  const values = { a: errorStep(1, [0]), b: errorStep(2, [12]), c: errorStep(3, [0]) };

  it('passes steps on as they come, completes and unsubscribes with its source', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-|', values);
      expectObservable(steps.pipe(detectDrift(threshold()), map((s) => s.online!.drifts))).toBe('-x-y-y-|', { x: 0, y: 1 });
      expectSubscriptions(steps.subscriptions).toBe('^------!');
    });
  });

  it('early unsubscribe, and take after a synchronous source, stop the source', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-c-|', values);
      expectObservable(steps.pipe(detectDrift(threshold()), map((s) => s.step)), '^--!').toBe('-x-', { x: 1 });
      expectSubscriptions(steps.subscriptions).toBe('^--!');
    });
    let created = 0;
    const source = of(1, 2, 3, 4).pipe(map((t) => (created++, errorStep(t, [0]))));
    const seen: number[] = [];
    source.pipe(detectDrift(threshold()), take(2)).subscribe((s) => seen.push(s.step));
    expect([seen, created]).toEqual([[1, 2], 2]);
  });

  it('upstream errors pass through; a step without predictions or with a bad value fails the run, naming it', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', values).pipe(detectDrift(threshold()), map((s) => s.step))).toBe('-x-#', { x: 1 });
      const bare = { ...values.b, predictions: undefined };
      expectObservable(cold('-a-b-|', { a: values.a, b: bare }).pipe(detectDrift(threshold()), map((s) => s.step))).toBe(
        '-x-#',
        { x: 1 },
        expect.objectContaining({ message: 'Expected `step.predictions` test-then-train predictions (put progressiveValidation() before detectDrift()), got none at step 2' }),
      );
      expectObservable(cold('-a|', values).pipe(detectDrift(threshold(), { on: () => ['x' as never] }))).toBe(
        '-#',
        undefined,
        expect.objectContaining({ message: 'Expected `values[0] of step 1` a number, got "x"' }),
      );
      expectObservable(cold('-a|', values).pipe(detectDrift(ddm(), { on: () => [0.5] }))).toBe(
        '-#',
        undefined,
        expect.objectContaining({ message: 'Expected `x` 0 or 1 (DDM watches a 0/1 error stream), got 0.5' }),
      );
    });
  });

  it('bad arguments name the field', () => {
    expect(() => detectDrift({} as never)).toThrow('Expected `detector` a DriftDetector { name, init, update, statistic } (adwin(), pageHinkley(), ddm()), got {}');
    expect(() => detectDrift(adwin(), { on: 'loss' as never })).toThrow("Expected `on` 'error' or a function of the step giving its values, got \"loss\"");
    expect(() => detectDrift(adwin(), { key: '' })).toThrow('Expected `key` a non-empty checkpoint key, got ""');
  });

  it('no leak on complete, error and unsubscribe', async () => {
    const withTensors = (t: number, errors: number[]): Step => ({ ...tinyStep(t), predictions: { n: errors.length, yHat: new Float32Array(errors.length), error: Float32Array.from(errors) } });
    await expectNoLeak(async () => {
      const done = await lastValueFrom(of(1, 2, 3).pipe(map((t) => withTensors(t, [0, 12])), detectDrift(threshold()), toArray()));
      done.forEach(disposeStep);
      // the failing step (no predictions) is freed by the operator
      await expect(lastValueFrom(of(1).pipe(map((t) => tinyStep(t)), detectDrift(threshold())))).rejects.toThrow('step.predictions');
      const source = new Subject<Step>();
      const kept: Step[] = [];
      const sub = source.pipe(detectDrift(threshold())).subscribe((s) => kept.push(s));
      source.next(withTensors(1, [0]));
      sub.unsubscribe();
      expect(source.observed).toBe(false);
      kept.forEach(disposeStep);
    });
  });
});

/** m_t = ½·m_{t−1} + g_t, update = −m_t (tensor state, so a reset is visible in the updates). */
function halfTrace(): Transform<{ m: Tensors }> {
  return {
    hyper: [],
    init: (params) => ({ m: zerosLike(params) }),
    update: (grads, state) =>
      tf.tidy(() => {
        const m = mapTree(grads, (g, n) => state.m[n].mul(0.5).add(g));
        return { updates: mapTree(m, (t) => t.neg()), state: { m } };
      }),
  };
}

/** A tiny-problem step (tensors) whose one example has error `error`. */
const tinyErrorStep = (t: number, error: number): Step => ({ ...tinyStep(t), predictions: { n: 1, yHat: new Float32Array(1), error: Float32Array.from([error]) } });

describe('detectDrift: reactions', () => {
  it("optimize(…, { resetOn: 'drift' }) starts the optimizer state afresh at the step of a drift", async () => {
    // tiny problem: constant g = [−3, −6]. m_1 = g → u = [3, 6]; m_2 = 1.5g → [4.5, 9];
    // step 3 drifts (error 12): m_3 = 0.5·0 + g = g → [3, 6]; m_4 = 1.5g → [4.5, 9].
    // Without the reset: m_3 = 1.75g → [5.25, 10.5].
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const run = async (resetOn?: 'drift') => {
        const steps = await lastValueFrom(
          of(0, 0, 12, 0).pipe(
            map((error, i) => tinyErrorStep(i + 1, error)),
            detectDrift(threshold()),
            gradients(p.loss, p.params),
            optimize(halfTrace(), { resetOn }),
            toArray(),
          ),
        );
        const updates = steps.map((s) => Array.from(s.updates!.w.dataSync()));
        steps.forEach(disposeStep);
        return updates;
      };
      expect(await run('drift')).toEqual([[3, 6], [4.5, 9], [3, 6], [4.5, 9]]);
      expect((await run())[2]).toEqual([5.25, 10.5]);
    });
    p.dispose();
  });

  it("learningRate(schedule, { restartOn: 'drift' }) evaluates the schedule at step − lastDrift + 1", async () => {
    // schedule t ↦ 1/t; drifts at steps 3 and 5: steps 1…6 use t = 1, 2, 1, 2, 1, 2
    const steps = [0, 0, 12, 0, 12, 0].map((e, i) => errorStep(i + 1, [e]));
    const lrs = await lastValueFrom(of(...steps).pipe(detectDrift(threshold()), learningRate((t) => 1 / t, { restartOn: 'drift' }), map((s) => s.hyper.lr), toArray()));
    expect(lrs).toEqual([1, 0.5, 1, 0.5, 1, 0.5]);
  });

  it('a reaction without drift detection before it fails the run, naming the missing field; bad options are rejected', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      await expect(lastValueFrom(of(tinyStep(1)).pipe(gradients(p.loss, p.params), optimize(halfTrace(), { resetOn: 'drift' })))).rejects.toThrow(
        'Expected `step.online.driftEvents` drift detection before optimize (put detectDrift() before it), got none at step 1',
      );
    });
    await expect(lastValueFrom(of(errorStep(1, [0])).pipe(learningRate((t) => 1 / t, { restartOn: 'drift' })))).rejects.toThrow(
      "Expected `step.online.lastDrift` drift detection before the schedule (put detectDrift() before lr's operator), got none at step 1",
    );
    expect(() => optimize(halfTrace(), { resetOn: 'warning' as never })).toThrow("Expected `resetOn` 'drift' or undefined, got \"warning\"");
    expect(() => learningRate(0.1, { restartOn: 'always' as never })).toThrow("Expected `restartOn` 'drift' or undefined, got \"always\"");
    p.dispose();
  });
});

describe('detectDrift: end to end, online logistic regression on a concept flipped at example 2000', () => {
  type Before = (params: Params, loss: LossFn<ExampleBatch>) => OperatorFunction<Step<ExampleBatch>, Step<ExampleBatch>>;
  /** Accuracy on the 500 examples after the flip, and the drifts: replay → progressiveValidation → detectDrift(ddm) → before → lr → gradients → sgd → applyUpdates. */
  async function flipped(before: Before, lr: OperatorFunction<Step<ExampleBatch>, Step<ExampleBatch>>): Promise<{ after: number; drifts: number[] }> {
    const table = flippedConcept(2500, 2000, 1);
    const model = logisticRegression(2);
    const errors: number[] = [];
    const drifts: number[] = [];
    await lastValueFrom(
      replay(table, { batchSize: 1 }).pipe(
        progressiveValidation(model, { metrics: [accuracy()] }),
        detectDrift(ddm()),
        tap((s) => {
          errors.push(...s.predictions!.error);
          for (const e of s.online!.driftEvents!) if (e.status === 'drift') drifts.push(e.examples);
        }),
        before(model.params, model.loss),
        lr,
        gradients(model.loss, model.params),
        optimize(sgd()),
        applyUpdates(model.params),
      ),
    );
    model.dispose();
    return { after: 1 - errors.slice(2000, 2500).reduce((a, b) => a + b, 0) / 500, drifts };
  }
  const none: Before = () => identity;

  it('DDM detects the flip within 100 examples; a background model recovers faster than marking only', async () => {
    await expectNoLeak(async () => {
      const mark = await flipped(none, learningRate(0.5));
      const background = await flipped((params, loss) => backgroundModel(loss, params, sgd({ lr: 0.5 })), learningRate(0.5));
      expect(mark.drifts.length).toBeGreaterThan(0);
      expect(mark.drifts[0]).toBeGreaterThan(2000);
      expect(mark.drifts[0]).toBeLessThanOrEqual(2100);
      expect(background.after).toBeGreaterThan(mark.after + 0.05);
    });
  });

  it('with a decaying learning rate, restarting the schedule at the drift recovers what marking only cannot', async () => {
    const decay = (t: number) => 2 / Math.sqrt(t);
    const mark = await flipped(none, learningRate(decay));
    const restarted = await flipped(none, learningRate(decay, { restartOn: 'drift' }));
    expect(mark.after).toBeLessThan(0.5);
    expect(restarted.after).toBeGreaterThan(0.8);
  });
});
