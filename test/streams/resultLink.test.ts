import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { sgd } from '../../src/index';
import { linearRegression } from '../../src/models/linearRegression';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { minibatches } from '../../streams/sources/minibatches';
import { linkScope, LinkedResult, plainRecordClass, RunScope, scopeOf } from '../../streams/RunScope';

describe('StepResult: plain data linked to its run (LinkedResult)', () => {
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

  it('a subclass made plain: constructor Object, linked; linkScope links any other object', () => {
    const scope = new RunScope();
    const Result = plainRecordClass(
      class extends LinkedResult {
        declare step: number;
        constructor(s: RunScope, step: number) {
          super(s);
          this.step = step;
        }
      },
    );
    const r = new Result(scope, 1);
    expect(r.constructor).toBe(Object);
    expect(Object.keys(r)).toEqual(['step']);
    expect(scopeOf(r)).toBe(scope);
    const copy = { ...r };
    linkScope(copy, scope);
    expect(Object.keys(copy)).toEqual(['step']);
    expect(scopeOf(copy)).toBe(scope);
  });
});
