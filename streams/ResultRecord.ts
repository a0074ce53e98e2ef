import { wallClock } from '../src/wallClock';
import type { RunScope } from './RunScope';
import type { Step, StepResult } from './Step';

/** What a step's result adds to the step's own fields (`ResultRecord`). */
export interface ResultFigures {
  readonly loss: number;
  readonly gradNorm: number;
  readonly updateNorm: number;
  readonly info: Readonly<Record<string, number>>;
  /** The hyperparameters in force (default: the step's). */
  readonly hyper?: Step<unknown>['hyper'];
}

/**
 * The record `applyUpdates` emits for a step (a `StepResult`), linked to its run:
 *
 * 1. Its own fields, in `StepResult`'s order: `step`, `epoch`, `loss`, `lr` (the hyperparameters'
 *    `lr`, NaN when there is none), `hyper` (`figures.hyper`, else the step's), `gradNorm`,
 *    `updateNorm`, `size`, `examples`, `time` (ms since the step's `startedAt`) and `wallTime`
 *    (the same clock read, `wallClock`), `info`; `values` and `online` are appended by the caller
 *    when there are any. They are `StepResult`'s own (declaration merging), not class fields: none
 *    is defined before the constructor sets it.
 * 2. Its run is a private field — not a property, so not in `Object.keys`, `for…in`,
 *    `JSON.stringify`, a spread or `structuredClone` — set in the constructor, with no cost per
 *    result beyond the object itself (a `WeakMap` entry or a property defined after construction
 *    costs ~0.3–1.4 µs); `ResultRecord.scopeOf` (and `scopeOf`) reads it.
 * 3. Its prototype has no `constructor` of its own: a result's `constructor` is `Object`, as a
 *    literal's.
 * 4. A class of its own, not a subclass of a linked base: a derived constructor's `super` call
 *    cost 2 % of a warm online example (same-process A/B, 150 paired runs).
 *
 * @example
 * const r = new ResultRecord(step, { loss: 0.5, gradNorm: 1, updateNorm: 0.1, info: {} }, step.scope);
 * ResultRecord.scopeOf(r) === step.scope; // true; Object.keys(r): step, epoch, loss, lr, hyper, …
 */
export class ResultRecord {
  readonly #scope: RunScope | undefined;

  constructor(step: Step<unknown>, figures: ResultFigures, scope: RunScope | undefined) {
    this.#scope = scope;
    const hyper = figures.hyper ?? step.hyper;
    this.step = step.step;
    this.epoch = step.epoch;
    this.loss = figures.loss;
    this.lr = hyper.lr ?? NaN;
    this.hyper = hyper;
    this.gradNorm = figures.gradNorm;
    this.updateNorm = figures.updateNorm;
    this.size = step.size;
    this.examples = step.examples;
    const now = performance.now();
    this.time = now - step.startedAt;
    this.wallTime = wallClock(now);
    this.info = figures.info;
  }

  /** The run `result` was built for, when it is a `ResultRecord`. */
  static scopeOf(result: object): RunScope | undefined {
    return #scope in result ? (result as ResultRecord).#scope : undefined;
  }
}
delete (ResultRecord.prototype as { constructor?: unknown }).constructor;

/** `StepResult`'s fields on the record (writable: the constructor and `stepResult` set them). */
export interface ResultRecord extends Writable<StepResult> {}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
