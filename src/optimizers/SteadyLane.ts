import type { InPlaceOutput } from '../kernels/InPlaceOutput';
import type { ArrayInputs } from './fusedChain';

/**
 * One parameter's in-place kernel while an optimizer's plans hold (what `fusedChain`'s
 * `steadyKernel` gives).
 */
export interface SteadyKernel {
  /**
   * Writes u and x + u into `out`, Σu² and Σg² into its `updateSq` and `gradSq` (see
   * `InPlaceOutput`), and the moments (if any) into their state tensors' own storage; returns the
   * finiteness check (0 when every x + u is finite, NaN otherwise).
   */
  run(g: Float32Array, x: Float32Array, out: InPlaceOutput): number;
  /** Whether every moment `run` writes is still its state tensor's own storage (absent: it keeps no state arrays). */
  ready?(): boolean;
}

/**
 * A steady update ready to run again without the optimizer's parts (`ArrayUpdateResult.lane`):
 * the update `updateArrays` would make of `state` with the same `ctx.hyper` record, grads and
 * params records (`ArrayTransform`, 3) — its kernels and its counts, nothing else.
 */
export interface SteadyLane<S> {
  /** The state it updates (in place: its own records). */
  readonly state: S;
  /** The `ctx.hyper` record its plans were made with. */
  readonly hyper: unknown;
  /** The hyperparameter values it uses (`ArrayUpdateResult.used`). */
  readonly used: Readonly<Record<string, number>>;
  /** Whether it can run now: every kernel's moments are still their tensors' own storage (else `updateArrays`, which writes copies). */
  ready(): boolean;
  /**
   * Run the update: each parameter's kernel on `arrays.g[j]`, `arrays.x[j]` into `outs[j]` (the
   * j-th name of the gradients), then every count raised by one; returns the first name whose
   * x + u is not finite (`undefined` when none).
   */
  run(arrays: ArrayInputs, outs: readonly InPlaceOutput[]): string | undefined;
}

/**
 * The lane of a steady update of `state` (see `SteadyLane`):
 *
 *   ready = every kernels[j].ready() (true for kernels without moments)
 *   for j = 0 … n − 1:   check_j = kernels[j].run(g_j, x_j, out_j)
 *   count ← count + 1   for every record of `counters`
 *   bad = names[first j with check_j ≠ 0]
 *
 * `kernels[j]` is parameter `names[j]`'s; `counters` are the records the optimizer's parts raise
 * (`PlannedTransform.counters`).
 *
 * @example
 * const lane = steadyLane(state, ctx.hyper, used, ['w'], [{ run: (g, x, out) => sgdKernelInPlace(g, x, null, false, h, out) }], [state[0]]);
 * if (lane.ready()) lane.run({ g: [g], x: [x] }, [out]); // undefined: x + u finite; state[0].count raised by one
 */
export function steadyLane<S>(
  state: S,
  hyper: unknown,
  used: Readonly<Record<string, number>>,
  names: readonly string[],
  kernels: readonly SteadyKernel[],
  counters: readonly { count: number }[],
): SteadyLane<S> {
  const checks = kernels.filter((k) => k.ready !== undefined);
  return {
    state,
    hyper,
    used,
    ready: () => {
      for (let j = 0; j < checks.length; j++) if (!checks[j].ready!()) return false;
      return true;
    },
    run: (arrays, outs) => {
      let bad: string | undefined;
      for (let j = 0; j < kernels.length; j++) if (kernels[j].run(arrays.g[j], arrays.x[j], outs[j]) !== 0 && bad === undefined) bad = names[j];
      for (let k = 0; k < counters.length; k++) counters[k].count += 1;
      return bad;
    },
  };
}
