import type { OperatorFunction } from 'rxjs';
import type { Step } from '../Step';
import { hyper, type HyperOptions, type HyperSource } from './hyper';

/**
 * Put the learning rate in force on every step (`step.hyper.lr`): `hyper('lr', value, options)`
 * — a number, a schedule, or a stream of either (with `initial` until it emits). Being `hyper`,
 * it takes part in `applyUpdates`' fused path as it is.
 *
 * @example
 * steps.pipe(gradients(loss, params), learningRate(warmup(50, cosine({ base: 0.1, tMax: 950 }))), optimize(sgd()), applyUpdates(params));
 */
export function learningRate<B>(value: HyperSource, options?: HyperOptions): OperatorFunction<Step<B>, Step<B>> {
  return hyper<B>('lr', value, options);
}
