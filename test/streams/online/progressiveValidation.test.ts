import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, defer, from, lastValueFrom, map, of, repeat, take, tap, throwError, toArray, type Observable } from 'rxjs';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import type { Metric } from '../../../src/metrics/Metric';
import { mae } from '../../../src/metrics/mae';
import { runningMean } from '../../../src/metrics/runningMean';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { sgd } from '../../../src/optimizers/sgd';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { progressiveValidation, type Label, type ProgressiveValidationOptions } from '../../../streams/operators/progressiveValidation';
import { RunScope } from '../../../streams/RunScope';
import { replay } from '../../../streams/sources/replay';
import type { Step } from '../../../streams/Step';
import { expectNoLeak, marbles } from '../../helpers';
import { hits, memorizer, previous, probaSum, stepOf, type Row } from './fixtures';

/** What the tests compare of each step passed on. */
function summary(s: Step<ExampleBatch>) {
  return {
    step: s.step,
    ids: [...s.batch.ids],
    y: Array.from(s.batch.y),
    yHat: Array.from(s.predictions!.yHat),
    error: Array.from(s.predictions!.error),
    hits: s.online!.metrics!.hits,
    pending: s.online!.pending,
    expired: s.online!.expired,
  };
}

/** Run `steps` through progressiveValidation and the memorizer's learning; the summaries. */
function run(steps: Observable<Step<ExampleBatch>>, options: Omit<ProgressiveValidationOptions, 'metrics'> & { metrics?: ProgressiveValidationOptions['metrics'] }, model = memorizer()) {
  return lastValueFrom(
    steps.pipe(
      progressiveValidation(model, { metrics: [hits], ...options }),
      tap((s) => model.learn(s.batch)),
      map(summary),
      toArray(),
    ),
  ).finally(() => model.dispose());
}

const labelled = (ys: number[], perStep = 1) => {
  const steps: Step<ExampleBatch>[] = [];
  for (let i = 0; i < ys.length; i += perStep) steps.push(stepOf(steps.length + 1, ys.slice(i, i + perStep).map((y, j) => ({ y, id: i + j, t: i + j }))));
  return steps;
};

describe('progressiveValidation: test then train', () => {
  it('predicts every example before it is learned: a model that would score 100 % learning first scores 1/5', async () => {
    // The memorizer predicts the last label it learned (P(1) = m, m₀ = 0). Labels 1, 0, 1, 1, 0:
    //   ex1: m 0 → ŷ 0 ≠ 1 ✗, learns m = 1 | ex2: ŷ 1 ≠ 0 ✗, m = 0 | ex3: ŷ 0 ≠ 1 ✗, m = 1 |
    //   ex4: ŷ 1 = 1 ✓ | ex5: ŷ 1 ≠ 0 ✗   → hits 0, 0, 0, 1/4, 1/5 (learning first would give 1 everywhere).
    const out = await run(from(labelled([1, 0, 1, 1, 0])), {});
    expect(out.map((s) => s.hits)).toEqual([0, 0, 0, 0.25, 0.2]);
    expect(out.map((s) => s.yHat)).toEqual([[0], [1], [0], [1], [1]]);
    expect(out.map((s) => s.error)).toEqual([[1], [1], [1], [0], [1]]);
  });

  it('scores every row of a step with the parameters from before the step', async () => {
    // Steps [1, 1] and [0, 1]: step 1 both ŷ 0 (m 0) ✗✗, learns m = 1; step 2 both ŷ 1: ✗✓ → 1/4.
    const out = await run(from(labelled([1, 1, 0, 1], 2)), {});
    expect(out.map((s) => [s.yHat, s.hits])).toEqual([
      [[0, 0], 0],
      [[1, 1], 0.25],
    ]);
  });

  it('passes the step on with its own batch, the probabilities, and the other online fields kept', async () => {
    const model = memorizer();
    const step = { ...stepOf(1, [{ y: 1, t: 5 }, { y: 0, t: 7 }]), online: { drifts: 3 } };
    const [s] = await lastValueFrom(of(step).pipe(progressiveValidation(model, { metrics: [hits, probaSum] }), toArray()));
    expect(s.batch).toBe(step.batch);
    // m = 0: proba rows [1, 0]; probaSum = P(true class) summed = 0 + 1; times 5 + 7
    expect(Array.from(s.predictions!.proba!)).toEqual([1, 0, 1, 0]);
    expect(s.online).toEqual({ drifts: 3, metrics: { hits: 0.5, probaSum: 1 }, pending: 0, expired: 0 });
    model.dispose();
  });

  it("runs baselines beside the model: each predicts before learning, with the model's metrics", async () => {
    // previous (last label, 0 first) on 1, 0, 1, 1, 0: ŷ 0 ✗, 1 ✗, 0 ✗, 1 ✓, 1 ✗ → 1/5
    const model = memorizer();
    const out = await lastValueFrom(
      from(labelled([1, 0, 1, 1, 0])).pipe(
        progressiveValidation(model, { metrics: { acc: hits }, baselines: [previous] }),
        tap((s) => model.learn(s.batch)),
        map((s) => s.online!.baselines),
        toArray(),
      ),
    );
    expect(out.map((b) => b!.previous.acc)).toEqual([0, 0, 0, 0.25, 0.2]);
    model.dispose();
  });

  it('leaves metrics that need probabilities out of baselines that give none', async () => {
    const model = memorizer();
    const [s] = await lastValueFrom(of(stepOf(1, [{ y: 1 }])).pipe(progressiveValidation(model, { metrics: [hits, probaSum], baselines: [previous] }), toArray()));
    expect(s.online!.baselines).toEqual({ previous: { hits: 0 } });
    model.dispose();
  });
});

describe('progressiveValidation: regression', () => {
  it('scores values: ŷ is the model\'s output, the error |y − ŷ|, no probabilities', async () => {
    // A model predicting 2x; rows x = 1, 2, 3 with y = 1, 5, 6 → ŷ 2, 4, 6, errors 1, 1, 0;
    // mae 2/3. The running mean (0, then 1, then 3) errs 1, 4, 3 → mae 8/3.
    const model = { ...memorizer(), task: 'regression' as const, outputs: 1, scoreRows: (_p: unknown, b: ExampleBatch, out: Float32Array) => b.x.forEach((x, i) => (out[i] = 2 * x)) };
    const [s] = await lastValueFrom(
      of(stepOf(1, [{ x: 1, y: 1 }, { x: 2, y: 5 }, { x: 3, y: 6 }])).pipe(progressiveValidation(model, { metrics: [mae()], baselines: [runningMean()] }), toArray()),
    );
    expect(Array.from(s.predictions!.yHat)).toEqual([2, 4, 6]);
    expect(Array.from(s.predictions!.error)).toEqual([1, 1, 0]);
    expect(s.predictions!.proba).toBeUndefined();
    expect(s.online!.metrics!.mae).toBeCloseTo(2 / 3, 12);
    expect(s.online!.baselines!.runningMean.mae).toBeCloseTo(8 / 3, 12);
    expect(() => progressiveValidation(model, { metrics: [probaSum] })).toThrow('Expected `metrics.probaSum` a metric of values (a regression model gives no probabilities)');
    model.dispose();
  });
});

describe('progressiveValidation: delayed labels joined by id', () => {
  it('joins labels by id: arrived between steps, before their example, and flushed at the end', async () => {
    const model = memorizer();
    const labels = new Subject<Label>();
    const steps = new Subject<Step<ExampleBatch>>();
    const seen: ReturnType<typeof summary>[] = [];
    steps.pipe(progressiveValidation(model, { metrics: [hits], labels }), tap((s) => model.learn(s.batch)), map(summary)).subscribe((s) => seen.push(s));
    // Step 1: a, b unlabelled, predicted with m 0 (ŷ 0, 0); nothing to learn: not passed on.
    steps.next(stepOf(1, [{ y: NaN, id: 'a', t: 0 }, { y: NaN, id: 'b', t: 1 }]));
    expect(seen).toEqual([]);
    // b's label (1) arrives; step 2 brings c labelled 1: b is scored first (ŷ 0 ✗), then c (m 0: ŷ 0 ✗) → 0/2; learns m = 1.
    labels.next({ id: 'b', y: 1 });
    steps.next(stepOf(2, [{ y: 1, id: 'c', t: 2 }]));
    // x's label (0) comes before x; step 3: x joins it at once (m 1: ŷ 1 ✗), d (ŷ 1 ✓) → 1/4; a still waits.
    labels.next({ id: 'x', y: 0 });
    steps.next(stepOf(3, [{ y: NaN, id: 'x', t: 3 }, { y: 1, id: 'd', t: 3 }]));
    // a's label (0) arrives after the last step; a was predicted 0 at its question (m 0): ✓ → 2/5, in a last step 4.
    labels.next({ id: 'a', y: 0 });
    steps.complete();
    expect(seen).toEqual([
      { step: 2, ids: ['b', 'c'], y: [1, 1], yHat: [0, 0], error: [1, 1], hits: 0, pending: 1, expired: 0 },
      { step: 3, ids: ['x', 'd'], y: [0, 1], yHat: [1, 1], error: [1, 0], hits: 0.25, pending: 1, expired: 0 },
      { step: 4, ids: ['a'], y: [0], yHat: [0], error: [0], hits: 0.4, pending: 0, expired: 0 },
    ]);
    model.dispose();
  });

  it('learns a joined example from its own features, and keeps its time', async () => {
    const model = memorizer();
    const labels = new Subject<Label>();
    const steps = new Subject<Step<ExampleBatch>>();
    const batches: ExampleBatch[] = [];
    steps.pipe(progressiveValidation(model, { metrics: [hits], labels })).subscribe((s) => batches.push(s.batch));
    steps.next(stepOf(1, [{ x: 42, y: NaN, id: 7, t: 123 }]));
    labels.next({ id: 7, y: 1 });
    steps.next(stepOf(2, [{ x: 5, y: 0, id: 8, t: 200 }]));
    expect(Array.from(batches[0].x)).toEqual([42, 5]);
    expect(Array.from(batches[0].times)).toEqual([123, 200]);
    expect(batches[0].ids).toEqual([7, 8]);
    model.dispose();
  });

  it('bounds waiting predictions: the cap expires the oldest, the TTL the stale; both counted', async () => {
    const labels = new Subject<Label>();
    const steps = [
      // a, b, c wait; cap 2 → a expires (1)
      stepOf(1, [{ y: NaN, id: 'a', t: 0 }, { y: NaN, id: 'b', t: 5 }, { y: NaN, id: 'c', t: 6 }]),
      // at t 20: b (age 15) and c (age 14) are older than 10 ms → expired 3; d is answered
      stepOf(2, [{ y: 1, id: 'd', t: 20 }]),
    ];
    const out = await run(from(steps), { labels, pending: { ttlMs: 10, cap: 2 } });
    expect(out.map((s) => [s.step, s.ids, s.pending, s.expired])).toEqual([[2, ['d'], 0, 3]]);
  });

  it('counts an unlabelled example without an id as expired (it can never be joined)', async () => {
    const out = await run(from([stepOf(1, [{ y: NaN }, { y: 1, id: 1 }])]), { labels: new Subject<Label>() });
    expect(out.map((s) => [s.ids, s.expired])).toEqual([[[1], 1]]);
  });

  it('fails on an unlabelled example when no labels stream is given, and on a bad label', async () => {
    await expect(run(of(stepOf(1, [{ y: NaN }])), {})).rejects.toThrow('Expected `batch.y[0]` a label (examples that arrive unlabelled need the `labels` option), got NaN at step 1');
    const labels = of<Label>({ id: 'a', y: NaN });
    await expect(run(of(stepOf(1, [{ y: 1 }])), { labels })).rejects.toThrow('Expected `label.y (id a)` a finite number, got NaN');
  });
});

describe('progressiveValidation: fixed delay (River simulate_qa)', () => {
  it('delay of 2 examples: answer i is scored and learned just before question i + 2; the rest at the end', async () => {
    // Labels e0…e5 = 1, 1, 0, 0, 1, 0 in steps of two; answer i due at question i + 2.
    // step 1 (m 0: ŷ 0, 0): questions 0, 1 — nothing due: not passed on.
    // step 2 (m 0: ŷ 0, 0): before q2 a0 (asked ŷ 0, y 1 ✗), before q3 a1 (✗) → 0/2; learns m = 1.
    // step 3 (m 1: ŷ 1, 1): a2 (asked ŷ 0, y 0 ✓), a3 (✓) → 2/4; learns m = 0.
    // end: a4 (asked ŷ 1, y 1 ✓), a5 (ŷ 1, y 0 ✗) → 3/6, as step 4.
    const out = await run(from(labelled([1, 1, 0, 0, 1, 0], 2)), { delay: { examples: 2 } });
    expect(out.map((s) => [s.step, s.ids, s.yHat, s.hits, s.pending])).toEqual([
      [2, [0, 1], [0, 0], 0, 2],
      [3, [2, 3], [0, 0], 0.5, 2],
      [4, [4, 5], [1, 1], 0.5, 0],
    ]);
  });

  it("delay in ms follows the examples' times: River's taxi timetable with a 15-minute delay", async () => {
    // Departures 0, 10, 20, 45, 50, 55 (one per step), answers at +15: simulate_qa gives
    // q0 q1 a0 q2 a1 a2 q3 q4 q5 | a3 a4 a5 → answers at steps 3 (a0), 4 (a1, a2), and a last step 7.
    const times = [0, 10, 20, 45, 50, 55];
    const steps = times.map((t, i) => stepOf(i + 1, [{ y: 1, id: `trip${i}`, t }]));
    const out = await run(from(steps), { delay: { ms: 15 } });
    expect(out.map((s) => [s.step, s.ids])).toEqual([
      [3, ['trip0']],
      [4, ['trip1', 'trip2']],
      [7, ['trip3', 'trip4', 'trip5']],
    ]);
  });

  it('checks its options, naming the field', () => {
    const model = memorizer();
    expect(() => progressiveValidation(model, { metrics: [hits], delay: { examples: -1 } })).toThrow('Expected `delay.examples` an integer ≥ 0, got -1');
    expect(() => progressiveValidation(model, { metrics: [hits], delay: { days: 1 } as never })).toThrow('Expected `delay` exactly one of { examples } or { ms }');
    expect(() => progressiveValidation(model, { metrics: [hits], delay: { ms: 5 }, labels: of() })).toThrow('Expected `delay` to be absent when `labels` is given');
    expect(() => progressiveValidation(model, { metrics: [hits, hits] })).toThrow('Expected `metrics` unique names');
    expect(() => progressiveValidation({} as never, { metrics: [hits] })).toThrow('Expected `model` a Model (with scoreRows)');
    expect(() => progressiveValidation(model, { metrics: [hits], key: '' })).toThrow('Expected `key` a non-empty string');
    expect(() => progressiveValidation(model, { metrics: [hits], delay: { ms: 5 } })).not.toThrow();
    model.dispose();
  });

  it('fails on an unlabelled example with a fixed delay', async () => {
    await expect(run(of(stepOf(1, [{ y: NaN }])), { delay: { examples: 1 } })).rejects.toThrow('Expected `batch.y[0]` a label for every example with `delay`');
  });
});

describe('progressiveValidation: checkpointed state', () => {
  /** The memorizer with a run scope; split after step `at` (state saved as JSON, m restored) or not. */
  async function resumed(ys: number[], options: Omit<ProgressiveValidationOptions, 'metrics'>, at?: number) {
    const all = labelled(ys, 2);
    const model = memorizer();
    const seen: unknown[] = [];
    const source = new Subject<Step<ExampleBatch>>();
    const subscription = source
      .pipe(
        progressiveValidation(model, { metrics: [hits, probaSum], baselines: [previous], ...options }),
        tap((s) => model.learn(s.batch)),
        map((s) => ({ ...summary(s), all: s.online })),
      )
      .subscribe((s) => seen.push(s));
    const first = new RunScope();
    for (const s of all.slice(0, at)) source.next({ ...s, scope: first });
    if (at !== undefined) {
      // Cut the run after step `at` (no completion), then start a second one from the JSON state.
      const saved = JSON.parse(JSON.stringify({ state: first.save(), m: model.m.dataSync()[0] }));
      subscription.unsubscribe();
      model.m.assign(tf.scalar(saved.m));
      const second = new RunScope(saved.state);
      const rest = await lastValueFrom(
        from(all.slice(at).map((s) => ({ ...s, scope: second }))).pipe(
          progressiveValidation(model, { metrics: [hits, probaSum], baselines: [previous], ...options }),
          tap((s) => model.learn(s.batch)),
          map((s) => ({ ...summary(s), all: s.online })),
          toArray(),
        ),
      );
      seen.push(...rest);
    } else source.complete();
    model.dispose();
    return seen;
  }

  const ys = [1, 1, 0, 0, 1, 0, 1, 1, 1, 0];

  it.each([
    ['immediate labels', {}],
    ['a delay of 3 examples', { delay: { examples: 3 } }],
  ])('resumed after step 2 from its JSON state, it continues exactly as an uninterrupted run (%s)', async (_name, options) => {
    const whole = await resumed(ys, options);
    expect(await resumed(ys, options, 2)).toEqual(whole);
    expect(whole.length).toBeGreaterThan(2);
  });
});

describe('progressiveValidation: checkpointed state with labels on a stream', () => {
  type Event = { readonly rows: Row[] } | { readonly label: Label };
  // Unlabelled examples, labels between steps, a label before its example, one that never comes.
  const events: Event[] = [
    { rows: [{ y: NaN, id: 'a', t: 0 }, { y: NaN, id: 'b', t: 1 }, { y: 1, id: 'c', t: 1 }] },
    { label: { id: 'b', y: 1 } },
    { label: { id: 'z', y: 0 } },
    { rows: [{ y: NaN, id: 'd', t: 2 }, { y: 0, id: 'e', t: 3 }] },
    { label: { id: 'a', y: 0 } }, // arrives after step 2: waits in `ready` across the cut
    { label: { id: 'y', y: 1 } }, // before its example: waits in the labels store across the cut
    { rows: [{ y: NaN, id: 'y', t: 4 }, { y: NaN, id: 'z', t: 5 }, { y: 1, id: 'f', t: 6 }] },
    { label: { id: 'd', y: 1 } },
    { rows: [{ y: 0, id: 'g', t: 7 }] },
  ];

  /** Play the events; with `cutAfter`, stop the run after that event and continue in a new one from its JSON state. */
  function play(cutAfter?: number) {
    const model = memorizer();
    const seen: unknown[] = [];
    const start = (scope: RunScope) => {
      const steps = new Subject<Step<ExampleBatch>>();
      const labels = new Subject<Label>();
      const sub = steps
        .pipe(
          progressiveValidation(model, { metrics: [hits, probaSum], baselines: [previous], labels }),
          tap((s) => model.learn(s.batch)),
          map((s) => ({ ...summary(s), all: s.online })),
        )
        .subscribe((v) => seen.push(v));
      return { steps, labels, sub, scope };
    };
    let run = start(new RunScope());
    let step = 0;
    events.forEach((e, i) => {
      if ('rows' in e) run.steps.next(stepOf(++step, e.rows, run.scope));
      else run.labels.next(e.label);
      if (i === cutAfter) {
        const saved = JSON.parse(JSON.stringify({ state: run.scope.save(), m: model.m.dataSync()[0] }));
        run.sub.unsubscribe();
        model.m.assign(tf.scalar(saved.m));
        run = start(new RunScope(saved.state));
      }
    });
    run.steps.complete();
    model.dispose();
    return seen;
  }

  it('a later run through the same subscription (repeat) continues the evaluation and has it in its checkpoints', async () => {
    const model = memorizer();
    const saved = await lastValueFrom(
      replay({ xs: [[0], [0], [0]], ys: [1, 0, 1] }, { batchSize: 1 }).pipe(
        repeat(2),
        progressiveValidation(model, { metrics: [hits] }),
        map((s) => ({ scope: s.scope, state: s.scope!.save().evaluation as { evaluation: { metrics: { hits: { n: number } } } } })),
        toArray(),
      ),
    );
    // two runs (two scopes), the second's state counts all 6 examples
    expect(new Set(saved.map((s) => s.scope)).size).toBe(2);
    expect(saved.map((s) => s.state.evaluation.metrics.hits.n)).toEqual([1, 2, 3, 4, 5, 6]);
    model.dispose();
  });

  it('fails on a saved state that is not its own, from a source that opens the run as it is subscribed', async () => {
    const model = memorizer();
    const source = replay({ xs: [[0]], ys: [1] }, { batchSize: 1, resume: { state: { evaluation: 'junk' } } });
    await expect(lastValueFrom(source.pipe(progressiveValidation(model, { metrics: [hits] })))).rejects.toThrow("Expected `restored.evaluation` progressiveValidation's saved state, got \"junk\"");
    const empty = replay({ xs: [[0]], ys: [1] }, { batchSize: 1, resume: { state: { evaluation: 'junk', source: { step: 1, examples: 1 } } } });
    await expect(lastValueFrom(empty.pipe(progressiveValidation(model, { metrics: [hits] })))).rejects.toThrow('Expected `restored.evaluation`');
    model.dispose();
  });

  it('resumed after any event from its JSON state, it continues exactly as an uninterrupted run', () => {
    const whole = play();
    expect(whole.length).toBe(4);
    for (let cut = 0; cut < events.length - 1; cut++) expect(play(cut)).toEqual(whole);
  });
});

describe('progressiveValidation: stream behaviour (marbles)', () => {
  const steps = { a: stepOf(1, [{ y: 1 }]), b: stepOf(2, [{ y: 0 }]), c: stepOf(3, [{ y: 0 }]) };
  // The memorizer never learns here: ŷ 0 always → hits 0, 1/2, 2/3.
  const values = { x: 0, y: 0.5, z: 2 / 3 };

  it('passes each step on at once, completes with the source, and unsubscribes from it', () => {
    const model = memorizer();
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a-b-c|', steps);
      expectObservable(src.pipe(progressiveValidation(model, { metrics: [hits] }), map((s) => s.online!.metrics!.hits))).toBe('x-y-z|', values);
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
    model.dispose();
  });

  it('passes an upstream error on and unsubscribes', () => {
    const model = memorizer();
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a-#', steps);
      expectObservable(src.pipe(progressiveValidation(model, { metrics: [hits] }), map((s) => s.online!.metrics!.hits))).toBe('x-#', values);
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
    model.dispose();
  });

  it('with a delay, passes each step on when it has answers, and the rest at completion', () => {
    const model = memorizer();
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      // delay 1: answer i before question i + 1 → nothing at a, a0 at b, a1 at c, a2 when the source completes
      const src = cold('a-b-c--|', steps);
      expectObservable(src.pipe(progressiveValidation(model, { metrics: [hits], delay: { examples: 1 } }), map((s) => s.step))).toBe('--x-y--(z|)', { x: 2, y: 3, z: 4 });
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
    model.dispose();
  });

  it('turns a throwing metric into an error', () => {
    const model = memorizer();
    const bad: Metric = { ...hits, name: 'bad', update: () => { throw new Error('metric broke'); } };
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b|', steps).pipe(progressiveValidation(model, { metrics: [bad] }))).toBe('#', undefined, new Error('metric broke'));
    });
    model.dispose();
  });

  it('early unsubscribe reaches the source and the labels stream', () => {
    const model = memorizer();
    marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const src = cold('a-b-c|', steps);
      const labels = hot<Label>('------');
      expectObservable(src.pipe(progressiveValidation(model, { metrics: [hits], labels }), map((s) => s.online!.metrics!.hits)), '^--!').toBe('x-y', values);
      expectSubscriptions(src.subscriptions).toBe('^--!');
      expectSubscriptions(labels.subscriptions).toBe('^--!');
    });
    model.dispose();
  });

  it("the labels stream's error fails the run; its completion does not", () => {
    const model = memorizer();
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-b-c|', steps).pipe(progressiveValidation(model, { metrics: [hits], labels: cold<Label>('--#') }), map((s) => s.online!.metrics!.hits))).toBe('x-#', values);
      expectObservable(cold('a-b-c|', steps).pipe(progressiveValidation(model, { metrics: [hits], labels: cold<Label>('-|') }), map((s) => s.online!.metrics!.hits))).toBe('x-y-z|', values);
    });
    model.dispose();
  });

  it('a synchronous source cut by take(n) makes exactly n steps', async () => {
    const model = memorizer();
    let made = 0;
    const source = defer(() => from(labelled([1, 0, 1, 1, 0]))).pipe(tap(() => made++));
    const out = await lastValueFrom(source.pipe(progressiveValidation(model, { metrics: [hits] }), take(2), toArray()));
    expect(out).toHaveLength(2);
    expect(made).toBe(2);
    model.dispose();
  });
});

describe('progressiveValidation: no tensor leaks in a real pipeline', () => {
  const pipeline = (steps: Observable<Step<ExampleBatch>>) => {
    const model = logisticRegression(1);
    return {
      model,
      out: steps.pipe(progressiveValidation(model, { metrics: [hits], delay: { examples: 1 } }), gradients(model.loss, model.params), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params)),
    };
  };

  it('after complete', async () => {
    const { model, out } = pipeline(from(labelled([1, 0, 1, 1, 0])));
    await expectNoLeak(async () => {
      const results = await lastValueFrom(out.pipe(toArray()));
      expect(results.map((r) => r.step)).toEqual([2, 3, 4, 5, 6]);
    });
    model.dispose();
  });

  it('after an error', async () => {
    const { model, out } = pipeline(from([...labelled([1, 0, 1]), stepOf(4, [{ y: NaN }])]));
    await expectNoLeak(() => expect(lastValueFrom(out)).rejects.toThrow('Expected `batch.y[0]`'));
    const failing = pipeline(throwError(() => new Error('source broke')));
    await expectNoLeak(() => expect(lastValueFrom(failing.out)).rejects.toThrow('source broke'));
    model.dispose();
    failing.model.dispose();
  });

  it('after an early unsubscribe', async () => {
    const { model, out } = pipeline(from(labelled([1, 0, 1, 1, 0])));
    await expectNoLeak(() => lastValueFrom(out.pipe(take(2))));
    model.dispose();
  });
});
