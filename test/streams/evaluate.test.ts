import { describe, expect, it } from 'vitest';
import { evaluate } from '../../streams/operators/evaluate';
import type { StepResult } from '../../streams/Step';
import { marbles } from '../helpers';
import { linkScope, RunScope, scopeOf } from '../../streams/RunScope';
import { lastValueFrom, of, toArray } from 'rxjs';

const result = (step: number, size: number): StepResult => ({
  step, epoch: 1, loss: 1, lr: 0.1, hyper: { lr: 0.1 }, gradNorm: 1, updateNorm: 1, size, examples: step * size, time: 1, wallTime: 0, info: {},
});

describe('evaluate: non-finite results', () => {
  it.each([Infinity, -Infinity, NaN])('fails the stream when the evaluation returns %s, unsubscribing the steps', (bad) => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('a-b|', { a: result(1, 50), b: result(2, 50) });
      expectObservable(steps.pipe(evaluate('full', () => bad, { everyExamples: 50 }))).toBe(
        '#', undefined, expect.objectContaining({ name: 'RxgradError', message: `Expected \`full\` a finite number from the evaluation, got ${bad}` }),
      );
      expectSubscriptions(steps.subscriptions).toBe('(^!)');
    });
  });
});

describe('evaluate: the run of a result', () => {
  it('keeps an evaluated result linked to its run (checkpoint after evaluate finds it)', async () => {
    const scope = new RunScope();
    const a = result(1, 50);
    const b = result(2, 20); // examples 20 → 40: no multiple of 50 reached, passed on as it is
    linkScope(a, scope);
    linkScope(b, scope);
    const out = await lastValueFrom(of(a, b).pipe(evaluate('full', () => 0.5, { everyExamples: 50 }), toArray()));
    expect(out[0].info).toEqual({ full: 0.5 });
    expect(out[1]).toBe(b);
    expect(scopeOf(out[0])).toBe(scope);
  });
});
