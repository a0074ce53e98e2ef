import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adam, disposeReplaced, disposeTree, restoreState, RxgradError, serializeState, sgd } from '../../../src/index';
import { swappable, type SwappableState } from '../../../src/swappable';
import { expectNoLeak } from '../../helpers';

const w = () => ({ w: tf.tensor1d([1]) });
const g = () => ({ w: tf.tensor1d([2]) });

describe('swappable', () => {
  it('runs the optimizer in force, hands over to a fresh one, and says which and since when', async () => {
    const params = w();
    await expectNoLeak(() => {
      const opt = swappable({ adam: adam({ lr: 0.1 }), sgd: sgd({ lr: 0.1, momentum: 0.9 }) }, { initial: 'adam' });
      let state = opt.init(params);
      const seen: number[][] = [];
      for (let t = 1; t <= 4; t++) {
        if (t === 3) {
          const next = opt.swap(state, 'sgd', params, 3);
          disposeReplaced(state, next);
          state = next;
        }
        const grads = g();
        const r = opt.update(grads, state, params, { step: t });
        disposeReplaced(state, r.state);
        state = r.state;
        seen.push([r.updates.w.dataSync()[0], r.info!.optimizer, r.info!.optimizerSince]);
        disposeTree([grads, r.updates]);
      }
      // Constant g = 2. Adam (t = 1, 2): m̂ = 2, v̂ = 4, u = −0.1·2/(2 + 1e−8) ≈ −0.1.
      // SGD from step 3, fresh buffer: b = g = 2, u = −0.2; step 4: b = 0.9·2 + 2 = 3.8, u = −0.38.
      const expected = [[-0.1, 0, 0], [-0.1, 0, 0], [-0.2, 1, 3], [-0.38, 1, 3]];
      seen.forEach((row, i) => {
        expect(row[0]).toBeCloseTo(expected[i][0], 6);
        expect(row.slice(1)).toEqual(expected[i].slice(1));
      });
      expect(state.active).toBe('sgd');
      disposeTree(state);
    });
    disposeTree(params);
  });

  it('swapping to the optimizer in force changes nothing', () => {
    const params = w();
    const opt = swappable({ adam: adam(), sgd: sgd() });
    const s = opt.init(params);
    expect(opt.swap(s, 'adam', params, 5)).toBe(s);
    expect(s).toMatchObject({ active: 'adam', since: 0 });
    disposeTree([s, params]);
  });

  it('has the union of the hyperparameter names, and validates its input', () => {
    const opt = swappable({ adam: adam(), sgd: sgd() });
    expect(opt.names).toEqual(['adam', 'sgd']);
    expect([...opt.hyper].sort()).toEqual([...new Set([...adam().hyper, ...sgd().hyper])].sort());
    expect(() => swappable({})).toThrow('Expected `optimizers` at least one optimizer, got none');
    expect(() => swappable({ 'a b': sgd() })).toThrow(RxgradError);
    expect(() => swappable({ sgd: {} as never })).toThrow('optimizers.sgd');
    expect(() => swappable({ sgd: sgd() }, { initial: 'adam' })).toThrow('Expected `initial` one of sgd, got "adam"');
    const params = w();
    const s = opt.init(params);
    expect(() => opt.swap(s, 'lion', params, 2)).toThrow('Expected `optimizer` one of adam, sgd, got "lion"');
    disposeTree([s, params]);
  });

  it('serializes and restores a swapped state, checked against the layout of the optimizer it names', () => {
    const params = w();
    const opt = swappable({ adam: adam({ lr: 0.1 }), sgd: sgd({ lr: 0.1, momentum: 0.9 }) });
    let state: SwappableState = opt.swap(opt.init(params), 'sgd', params, 3);
    const grads = g();
    const r = opt.update(grads, state, params);
    disposeReplaced(state, r.state);
    state = r.state;
    const json = JSON.parse(JSON.stringify(serializeState(state)));
    const back = restoreState(json, opt, params);
    expect(back.active).toBe('sgd');
    expect(back.since).toBe(3);
    // The momentum buffer after one SGD step is g = 2.
    const again = opt.update(grads, back, params);
    // b = 0.9·2 + 2 = 3.8, u = −0.38
    expect(again.updates.w.dataSync()[0]).toBeCloseTo(-0.38, 6);
    // An Adam state labelled sgd does not fit SGD's layout.
    const adamState = serializeState(swappable({ adam: adam() }).init(params));
    const wrong = { ...adamState, state: { ...(adamState.state as object), active: 'sgd' } };
    expect(() => restoreState(wrong, opt, params)).toThrow(/state\.inner/);
    const unknown = { ...json, state: { ...json.state, active: 'lion' } };
    expect(() => restoreState(unknown, opt, params)).toThrow('Expected `state.active` one of adam, sgd, got "lion"');
    disposeTree([state, back, again.state, again.updates, r.updates, grads, params]);
  });
});
