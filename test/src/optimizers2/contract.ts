import * as tf from '@tensorflow/tfjs';
import { trajectory } from '../helpers';
import { concat, lastValueFrom, map, range, take, throwError, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { checkStateLayout, disposeReplaced, RxgradError, disposeTree, restoreState, serializeState, tensorsIn, type Tensors, type Transform } from '../../../src/index';
import { applyUpdates, gradients, optimize } from '../../../streams/index';
import { expectNoLeak, tinyProblem, tinyStep } from '../../helpers';

/** Parameters of rank 0, 1 and 2. */
export function mixedParams(): Tensors {
  return { a: tf.tensor2d([[0.5, -1, 2], [1.5, 0.1, -0.3]]), b: tf.tensor1d([1, -2, 3, -4]), c: tf.scalar(0.7) };
}

/** A deterministic gradient for each parameter of `mixedParams` at step t. */
export function gradsAt(params: Tensors, t: number): Tensors {
  return tf.tidy(() => ({ a: tf.sin(params.a.add(t)).mul(2), b: tf.cos(params.b.mul(t)).sub(0.3), c: tf.sin(params.c.add(t)) }));
}

/** Run `steps` updates of `opt` from `mixedParams`, x ← x + u, the caller freeing superseded state. */
export function run(opt: Transform<any>, steps: number): { params: Tensors; state: any; grads: (t: number) => Tensors } {
  let params = mixedParams();
  let state = opt.init(params);
  for (let t = 1; t <= steps; t++) {
    const g = gradsAt(params, t);
    const r = opt.update(g, state, params);
    disposeReplaced(state, r.state);
    const next: Tensors = {};
    for (const k of Object.keys(params)) next[k] = params[k].add(r.updates[k]);
    disposeTree([g, r.updates, params]);
    params = next;
    state = r.state;
  }
  const at = params;
  return { params, state, grads: (t) => gradsAt(at, t) };
}

/**
 * The contract every optimizer of rxgrad keeps (see test/src/optimizers.test.ts), run on
 * parameters of rank 0, 1 and 2: pure updates, flat memory, the state round trip through JSON
 * giving the bit-identical next update, checkStateLayout, a hyperparameter from the step
 * (`ctx.hyper`) used and reported, and the streams pipeline without leaks.
 */
export function contract(name: string, make: () => Transform<any>, override: Record<string, number>): void {
  it(`${name}: update never mutates or frees its input state; updates are fresh tensors`, () => {
    const opt = make();
    const { params, state, grads } = run(opt, 3);
    const before = JSON.stringify(serializeState(state));
    const held = tensorsIn(state);
    const g = grads(4);
    const r = opt.update(g, state, params);
    expect(JSON.stringify(serializeState(state))).toBe(before);
    expect(held.every((t) => !t.isDisposed)).toBe(true);
    const owned = new Set([...tensorsIn(r.state), ...Object.values(g), ...Object.values(params)]);
    expect(Object.values(r.updates).some((u) => owned.has(u))).toBe(false);
    disposeReplaced(state, r.state);
    disposeTree([r, g, params]);
  });

  it(`${name}: a subset of gradients updates only those parameters, the others' state kept (the same tensors)`, () => {
    const opt = make();
    const { params, state, grads } = run(opt, 2);
    const g = grads(3);
    const r = opt.update({ a: g.a }, state, params);
    expect(Object.keys(r.updates)).toEqual(['a']);
    for (const other of ['b', 'c']) {
      const before = tensorsNamed(state, other);
      expect(before.length).toBeGreaterThan(0);
      expect(tensorsNamed(r.state, other)).toEqual(before);
    }
    disposeReplaced(state, r.state);
    disposeTree([r, g, params]);
  });

  it(`${name}: a gradient for an unknown parameter, or of the wrong shape, throws naming the parameter`, () => {
    const opt = make();
    const params = mixedParams();
    const s = opt.init(params);
    const c = { d: tf.zeros([2]) };
    expect(() => opt.update(c, s, params)).toThrow(RxgradError);
    expect(() => opt.update(c, s, params)).toThrow(/`grads\.d`|`gradients\.d`|`params\.d`/);
    const wrong = { a: tf.ones([3, 2]) };
    expect(() => opt.update(wrong, s, params)).toThrow("Expected `grads.a` shape [2, 3] (the parameter's), got shape [3, 2]");
    disposeTree([s, c, wrong, params]);
  });

  it(`${name}: tf.memory().numTensors stays flat over 50 updates and returns to its start`, () => {
    const start = tf.memory().numTensors;
    const opt = make();
    const { params, state, grads } = run(opt, 2);
    let s = state;
    const flat = tf.memory().numTensors;
    for (let t = 3; t <= 50; t++) {
      const g = grads(t);
      const r = opt.update(g, s, params);
      disposeReplaced(s, r.state);
      disposeTree([g, r.updates]);
      s = r.state;
      expect(tf.memory().numTensors).toBe(flat);
    }
    disposeTree([s, params]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it(`${name}: serializeState → JSON → restoreState (checked by checkStateLayout) gives the bit-identical next update`, () => {
    const opt = make();
    const { params, state, grads } = run(opt, 4);
    const restored = restoreState(JSON.parse(JSON.stringify(serializeState(state))), opt, params);
    const g = grads(5);
    const r1 = opt.update(g, state, params);
    const r2 = opt.update(g, restored, params);
    for (const k of Object.keys(params)) expect(Array.from(r2.updates[k].dataSync())).toEqual(Array.from(r1.updates[k].dataSync()));
    expect(JSON.stringify(serializeState(r2.state))).toBe(JSON.stringify(serializeState(r1.state)));
    disposeTree([state, restored, r1, r2, g, params]);
  });

  it(`${name}: checkStateLayout rejects another optimizer's state, naming the field`, () => {
    const opt = make();
    const params = mixedParams();
    const wrong = [{ count: 0, params: {} }];
    expect(() => checkStateLayout(wrong, opt, params)).toThrow(/^Expected `state/);
    disposeTree(params);
  });

  it(`${name}: a value on the step (ctx.hyper ${JSON.stringify(override)}) overrides the option and is reported in used`, () => {
    const opt = make();
    for (const k of Object.keys(override)) expect(opt.hyper).toContain(k);
    const params = mixedParams();
    const s = opt.init(params);
    const g = gradsAt(params, 1);
    const r = opt.update(g, s, params, { step: 1, hyper: override });
    expect(r.used).toMatchObject(override);
    disposeTree([s, r, g, params]);
  });

  it(`${name}: runs in the pipeline gradients → optimize → applyUpdates without leaking (complete, error, early unsubscribe)`, async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const rs = await lastValueFrom(range(1, 12).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(make()), applyUpdates(p.params), toArray()));
      expect(rs).toHaveLength(12);
      expect(rs.every((r) => Number.isFinite(r.loss))).toBe(true);
      await lastValueFrom(range(1, 12).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(make()), applyUpdates(p.params), take(3), toArray()));
      const failing = concat(range(1, 3).pipe(map((k) => tinyStep(k))), throwError(() => new Error('source failed')));
      await expect(lastValueFrom(failing.pipe(gradients(p.loss, p.params), optimize(make()), applyUpdates(p.params)))).rejects.toThrow('source failed');
    });
    p.dispose();
  });
}

/** The tensors of a state held under the key `name` (a parameter's state, wherever it sits), by identity. */
function tensorsNamed(state: unknown, name: string, out: tf.Tensor[] = []): tf.Tensor[] {
  if (state === null || typeof state !== 'object' || state instanceof tf.Tensor) return out;
  for (const [k, v] of Object.entries(state)) {
    if (k === name) out.push(...tensorsIn(v));
    else tensorsNamed(v, name, out);
  }
  return out;
}

/** x after each of `gs.length` steps of `opt` on one parameter from x0, fed the fixed gradients `gs`. */
export function fixedTrajectory(opt: Transform<any>, x0: number[] | number[][], gs: (number[] | number[][])[]): number[][] {
  return trajectory(opt, x0, gs.length, (_x, t) => tf.tensor(gs[t - 1]));
}

/** One update of every parameter as a caller owns it: x ← x + u; the superseded state, the gradients and the old parameters freed. */
export function stepOnce(opt: Transform<any>, params: Tensors, state: any, g: Tensors): { params: Tensors; state: any } {
  const r = opt.update(g, state, params);
  disposeReplaced(state, r.state);
  const next: Tensors = {};
  for (const k of Object.keys(params)) next[k] = params[k].add(r.updates[k]);
  disposeTree([g, r.updates, params]);
  return { params: next, state: r.state };
}
