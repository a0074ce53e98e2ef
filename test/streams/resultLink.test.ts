import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sgd } from '../../src/index';
import { linearRegression } from '../../src/models/linearRegression';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { minibatches } from '../../streams/sources/minibatches';
import { linkScope, RunScope, scopeOf } from '../../streams/RunScope';
import { ResultRecord } from '../../streams/ResultRecord';
import type { Step } from '../../streams/Step';

describe('StepResult: plain data linked to its run (ResultRecord)', () => {
  it.each([['fused', 'auto'], ['general', false]] as const)('%s path: only its fields are visible; scopeOf finds the run; a copy has none', async (_path, fast) => {
    const m = linearRegression(1, { seed: 1 });
    const results = await lastValueFrom(
      minibatches({ xs: [[1], [2], [3]], ys: [2, 4, 6] }, { batchSize: 2 }).pipe(gradients(m.loss, m.params, { fast }), optimize(sgd({ lr: 0.1 })), applyUpdates(m.params), toArray()),
    );
    const r = results[0];
    expect(Object.keys(r)).toEqual(['step', 'epoch', 'loss', 'lr', 'hyper', 'gradNorm', 'updateNorm', 'size', 'examples', 'time', 'wallTime', 'info']);
    const inherited: string[] = [];
    for (const key in r) if (!Object.hasOwn(r, key)) inherited.push(key);
    expect(inherited).toEqual([]);
    expect(r.constructor).toBe(Object);
    expect(scopeOf(r)).toBeInstanceOf(RunScope);
    expect(scopeOf(results[1])).toBe(scopeOf(r));
    expect(scopeOf({ ...r })).toBeUndefined();
    expect(scopeOf(structuredClone(r))).toBeUndefined();
    expect(JSON.parse(JSON.stringify(r))).toEqual({ ...r });
    m.dispose();
  });

  it('a ResultRecord: constructor Object, fields from the step and figures, linked; linkScope links any other object', () => {
    const scope = new RunScope();
    const before = performance.now();
    const step = { step: 3, epoch: 2, batch: null, size: 4, examples: 12, startedAt: before - 5, hyper: { lr: 0.5 }, scope } as unknown as Step<unknown>;
    const r = new ResultRecord(step, { loss: 1.5, gradNorm: 2, updateNorm: 0.25, info: { clipped: 1 } }, scope);
    expect(r.constructor).toBe(Object);
    expect(Object.keys(r)).toEqual(['step', 'epoch', 'loss', 'lr', 'hyper', 'gradNorm', 'updateNorm', 'size', 'examples', 'time', 'wallTime', 'info']);
    // time: ms from startedAt (5 ms before `before`) to the clock read in the constructor.
    expect({ ...r, time: 0, wallTime: 0 }).toEqual({ step: 3, epoch: 2, loss: 1.5, lr: 0.5, hyper: { lr: 0.5 }, gradNorm: 2, updateNorm: 0.25, size: 4, examples: 12, time: 0, wallTime: 0, info: { clipped: 1 } });
    expect(r.time).toBeGreaterThanOrEqual(5);
    expect(r.time).toBeLessThan(5 + (performance.now() - before) + 1e-9);
    expect(Math.abs(r.wallTime - Date.now())).toBeLessThan(1000);
    // figures.hyper replaces the step's; no lr gives NaN.
    expect(new ResultRecord(step, { loss: 0, gradNorm: 0, updateNorm: 0, info: {}, hyper: { momentum: 0.9 } }, scope)).toMatchObject({ hyper: { momentum: 0.9 }, lr: NaN });
    expect(ResultRecord.scopeOf(r)).toBe(scope);
    expect(scopeOf(r)).toBe(scope);
    expect(ResultRecord.scopeOf({ ...r })).toBeUndefined();
    const copy = { ...r };
    linkScope(copy, scope);
    expect(Object.keys(copy)).toEqual(Object.keys(r));
    expect(scopeOf(copy)).toBe(scope);
  });
});
