import { RxgradError } from '../RxgradError';
import { denseBackward, type DenseLayout, type DenseScore } from './denseBackward';

/**
 * The analytic gradient a model's loss function carries, so that `gradients` can skip tfjs's
 * autodiff for it (the fast path, see `analyticGrads`).
 *
 * 1. `names[i]` is the parameter whose values are `params[i]` / `grads[i]` in `backward`, of
 *    shape `shapes[i]`.
 * 2. `layout` is the network (`denseBackward`); `targets` says which label tensors the loss takes
 *    as its own tfjs path does: `'column'` only ys [n, out] (`linearRegression`: other shapes
 *    broadcast there), `'any'` any ys of n·out values (`denseModel` reshapes them).
 * 3. `backward(params, x, y, n, grads)` writes the gradient into `grads` and returns the loss.
 * 4. `score(params, x, n, out)`, for one layer with one output (linear and logistic regression):
 *    the model's `scoreRows` on arrays; a `backward` over the rows just scored, with the same
 *    parameter arrays and values, reuses their forward pass (`denseBackward`).
 */
export interface AnalyticLoss {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  readonly layout: DenseLayout;
  readonly targets: 'column' | 'any';
  readonly backward: (params: readonly Float32Array[], x: Float32Array, y: ArrayLike<number>, n: number, grads: readonly Float32Array[]) => number;
  readonly score?: DenseScore;
}

const ANALYTIC = Symbol.for('rxgrad.analyticLoss');

/**
 * `loss` marked as having the analytic gradient of the dense network `layout` whose layers'
 * parameters are named `layers` ([{ w, b }, …]); returns `loss` itself.
 *
 * @example
 * const loss = withAnalytic((p, b) => tf.scalar(0), { sizes: [2, 1], activation: 'relu', output: 'linear' }, [{ w: 'w', b: 'b' }], 'column');
 * analyticOf(loss)?.names; // ['w', 'b']
 */
export function withAnalytic<F extends (...args: any[]) => unknown>(
  loss: F,
  layout: DenseLayout,
  layers: readonly { readonly w: string; readonly b: string }[],
  targets: AnalyticLoss['targets'],
): F {
  if (layers.length !== layout.sizes.length - 1) throw new RxgradError('layers', `${layout.sizes.length - 1} layers (one per weight matrix)`, layers.length);
  const backward = denseBackward(layout);
  const analytic: AnalyticLoss = {
    names: layers.flatMap(({ w, b }) => [w, b]),
    shapes: layers.flatMap((_, l) => [[layout.sizes[l], layout.sizes[l + 1]], [layout.sizes[l + 1]]]),
    layout,
    targets,
    backward,
    score: backward.score,
  };
  Object.defineProperty(loss, ANALYTIC, { value: analytic });
  return loss;
}

/**
 * The analytic gradient `loss` carries (`withAnalytic`), or `undefined` for any other function.
 *
 * @example
 * analyticOf(logisticRegression(3).loss)?.layout.output; // 'sigmoid'
 * analyticOf((p, b) => tf.scalar(0));                   // undefined
 */
export function analyticOf(loss: unknown): AnalyticLoss | undefined {
  return typeof loss === 'function' ? ((loss as unknown as Record<symbol, AnalyticLoss | undefined>)[ANALYTIC] ?? undefined) : undefined;
}
