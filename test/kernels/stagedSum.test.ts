import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { addUpdates, disposeTree, sgd } from '../../src/index';
import type { InPlaceTransform } from '../../src/optimizers/fusedChain';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('stagedSum: a staged x + u is taken only for the values it was computed from', () => {
  it('three updates staged from the same values, applied in turn (steps buffered between optimize and applyUpdates): each adds to the values then', () => {
    // sgd, η = 0.5, u = −0.5·g: u1 = [−1, −2], u2 = [−2, −1], u3 = [−1, −1]; all three staged
    // from w = [1, 2]. Applied in turn: w = [1, 2] + u1 + u2 + u3 = [−3, −2].
    // u1's sum is swapped in (w's old array a spare), u2's is stale and is added again into a
    // spare (the old array: the update arrays are still held), which a swap makes w's storage
    // again under the same dataId: u3's sum, staged from that array's old values, must not be
    // taken (it was: w = [0, 1], u1 and u2 lost).
    const opt = sgd({ lr: 0.5 }) as InPlaceTransform<any>;
    const t = tf.tensor([1, 2]);
    const params = { w: tf.variable(t) };
    t.dispose();
    const state = opt.init(params);
    const gs = [tf.tensor([2, 4]), tf.tensor([4, 2]), tf.tensor([2, 2])];
    const r1 = opt.updateInPlace({ w: gs[0] }, state, params, { step: 1 });
    const r2 = opt.updateInPlace({ w: gs[1] }, r1.state, params, { step: 2 });
    const r3 = opt.updateInPlace({ w: gs[2] }, r2.state, params, { step: 3 });
    const id = params.w.dataId;
    addUpdates(params, r1.updates);
    expect(Array.from(params.w.dataSync())).toEqual([0, 0]);
    addUpdates(params, r2.updates);
    expect(Array.from(params.w.dataSync())).toEqual([-2, -1]);
    addUpdates(params, r3.updates);
    expect(Array.from(params.w.dataSync())).toEqual([-3, -2]);
    // every value was swapped in: the dataId is the one w had
    expect(params.w.dataId).toBe(id);
    disposeTree([state, r1.state, r2.state, r3.state, r1.updates, r2.updates, r3.updates, params, gs]);
  });

  it('across backend switches mid-run: staged on cpu and applied on wasm, updated on wasm, back on cpu (swapped in again), and after its data moved to wasm and back: every update once', async () => {
    // sgd, η = 0.5, g = [2, 2, 2]: u = [−1, −1, −1] per update; w = [1, 2, 3] − k after k updates.
    // Update 3 is staged on cpu and applied on wasm, 4 runs on wasm, 5 to 7 on cpu (from 6 on
    // swapped in); before 7, an op on wasm moves w's data there and one on cpu back into a new
    // record under the same dataId: a slot that still swapped into the dropped record would lose
    // update 7.
    await tf.setBackend('cpu');
    const opt = sgd({ lr: 0.5 }) as InPlaceTransform<any>;
    const t = tf.tensor([1, 2, 3]);
    const params = { w: tf.variable(t) };
    t.dispose();
    const g = { w: tf.tensor([2, 2, 2]) };
    let state = opt.init(params);
    for (let k = 1; k <= 7; k++) {
      if (k === 5) await tf.setBackend('cpu');
      if (k === 7) {
        await tf.setBackend('wasm');
        tf.tidy(() => params.w.add(0));
        await tf.setBackend('cpu');
        tf.tidy(() => params.w.add(0));
      }
      const r = opt.updateInPlace(g, state, params, { step: k });
      if (k === 3) await tf.setBackend('wasm');
      addUpdates(params, r.updates);
      expect(Array.from(params.w.dataSync())).toEqual([1 - k, 2 - k, 3 - k]);
      tf.dispose(r.updates);
      state = r.state;
    }
    disposeTree([state, g, params]);
  });
});
