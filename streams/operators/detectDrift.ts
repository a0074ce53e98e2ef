import type { OperatorFunction } from 'rxjs';
import type { DriftDetector } from '../../src/drift/DriftDetector';
import { extend } from '../../src/extend';
import { RxgradError, shown } from '../../src/RxgradError';
import { operate } from '../operate';
import type { RunScope } from '../RunScope';
import { advance, disposeStep, type DriftEvent, type Step } from '../Step';

/** Options of `detectDrift`. */
export interface DetectDriftOptions {
  /**
   * The values the detector watches, in example order: `'error'` (default) is the per-example
   * error `progressiveValidation` put on the step (`step.predictions.error`: 0/1 for classifiers,
   * |y − ŷ| for regression); a function picks any other per-example values from the step.
   */
  readonly on?: 'error' | ((step: Step<any>) => ArrayLike<number>);
  /** The key of the detector's state in the run's checkpoints (default `'drift'`). */
  readonly key?: string;
}

/** What `detectDrift` saves in a checkpoint (plain JSON). */
export interface DetectDriftState<S = unknown> {
  /** The detector's own state. */
  readonly detector: S;
  /** Drifts detected so far in the run, and the step of the last one (0 while none). */
  readonly drifts: number;
  readonly lastDrift: number;
  /** Whether the last value was in a warning zone (a warning is reported when one starts). */
  readonly warning: boolean;
}

/**
 * Watch a stream of per-example values (by default the test-then-train error) with a drift
 * detector, and put what it finds on each step.
 *
 * 1. Every value of the step (`step.predictions.error`, or `options.on(step)`) is fed to
 *    `detector.update` in order. When there is one value per example of the step (n = size),
 *    value i belongs to example `step.examples − n + i + 1` of the run; otherwise (labels that
 *    arrive late answer earlier examples) its events count the examples seen at the step,
 *    `step.examples`.
 * 2. A `drift` is reported as a `DriftEvent` { step, examples, detector, status, statistic }, with
 *    the detector's statistic at that value; a warning zone is reported once, at its first value.
 * 3. The step goes on with `online.drifts` (drifts so far), `online.driftEvents` (this step's
 *    events, empty when none), `online.lastDrift` (the step of the last drift, 0 while none) and
 *    `online.driftWarnings` (this step's examples in a warning zone), the other `online` fields
 *    kept.
 * 4. The state (detector, drift count, last drift, warning) lives per subscription. It is registered with the
 *    step's run under `options.key` (default `'drift'`) so checkpoints carry it, and taken from the
 *    run's restored checkpoint when there is one: a resumed run detects exactly what an
 *    uninterrupted one would.
 * 5. Reacting is up to the operators after it: `optimize(t, { resetOn: 'drift' })` starts the
 *    optimizer's state afresh, `learningRate(schedule, { restartOn: 'drift' })` restarts the
 *    schedule, `backgroundModel(…)` switches to a model trained since the warning, at each step
 *    with a drift.
 * 6. A step without predictions (no `progressiveValidation` before), a value that is not a
 *    number, or a detector's own RxgradError fails the run; the step is freed.
 *
 * @example
 * const model = logisticRegression(8);
 * replay(table, { batchSize: 1 }).pipe(progressiveValidation(model, { metrics: [accuracy()] }), detectDrift(adwin()), gradients(model.loss, model.params), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params));
 */
export function detectDrift<S, B = unknown>(detector: DriftDetector<S>, options: DetectDriftOptions = {}): OperatorFunction<Step<B>, Step<B>> {
  if (!detector || typeof detector.init !== 'function' || typeof detector.update !== 'function' || typeof detector.statistic !== 'function') {
    throw new RxgradError('detector', 'a DriftDetector { name, init, update, statistic } (adwin(), pageHinkley(), ddm())', detector);
  }
  const on = options.on ?? 'error';
  if (on !== 'error' && typeof on !== 'function') throw new RxgradError('on', "'error' or a function of the step giving its values", on);
  const key = options.key ?? 'drift';
  if (typeof key !== 'string' || key.length === 0) throw new RxgradError('key', 'a non-empty checkpoint key', key);

  const valuesOf = (step: Step<B>): ArrayLike<number> => {
    if (on !== 'error') {
      const values = on(step);
      if (values == null || typeof values.length !== 'number') throw new RxgradError('on(step)', 'an array of numbers', values);
      return values;
    }
    if (!step.predictions) throw new RxgradError('step.predictions', 'test-then-train predictions (put progressiveValidation() before detectDrift())', shown(`none at step ${step.step}`));
    return step.predictions.error;
  };

  return operate<Step<B>, Step<B>>((out) => {
    let detectorState = detector.init();
    let drifts = 0;
    let lastDrift = 0;
    let warning = false;
    let scope: RunScope | undefined;

    const follow = (run: RunScope): void => {
      scope = run;
      const restored = run.restored<DetectDriftState<S>>(key);
      if (restored) {
        const ok = typeof restored === 'object' && restored.detector != null && Number.isInteger(restored.drifts) && Number.isInteger(restored.lastDrift) && typeof restored.warning === 'boolean';
        if (!ok) throw new RxgradError(`checkpoint.${key}`, 'a detectDrift state { detector, drifts, lastDrift, warning }', restored);
        detectorState = structuredClone(restored.detector);
        drifts = restored.drifts;
        lastDrift = restored.lastDrift;
        warning = restored.warning;
      }
      run.register(key, { save: (): DetectDriftState<S> => ({ detector: structuredClone(detectorState), drifts, lastDrift, warning }) });
    };

    return {
      next: (step) => {
        if (step.scope && step.scope !== scope) follow(step.scope);
        const values = valuesOf(step);
        const n = values.length;
        const first = n === step.size ? step.examples - n + 1 : step.examples;
        const perRow = n === step.size ? 1 : 0;
        const events: DriftEvent[] = [];
        let warnings = 0;
        for (let i = 0; i < n; i++) {
          const x = values[i];
          if (typeof x !== 'number') throw new RxgradError(`values[${i}] of step ${step.step}`, 'a number', x);
          const status = detector.update(detectorState, x);
          if (status === 'drift' || (status === 'warning' && !warning)) {
            if (status === 'drift') {
              drifts++;
              lastDrift = step.step;
            }
            events.push({ step: step.step, examples: first + perRow * i, detector: detector.name, status, statistic: detector.statistic(detectorState) });
          }
          warning = status === 'warning';
          if (warning) warnings++;
        }
        out.next(advance(step, { online: extend(step.online ?? {}, { drifts, driftEvents: events, lastDrift, driftWarnings: warnings }) }));
      },
      release: disposeStep,
    };
  });
}
