import type { OperatorFunction } from 'rxjs';
import type { HyperValue } from '../../src/types';
import type { Step } from '../Step';
import { hyper } from './hyper';

/**
 * Put the learning rate in force on every step (`step.hyper.lr`): `hyper('lr', value)`.
 *
 * @example
 * steps.pipe(gradients(loss, params), learningRate(0.05), optimize(sgd()), applyUpdates(params));
 */
export function learningRate<B>(value: HyperValue): OperatorFunction<Step<B>, Step<B>> {
  return hyper<B>('lr', value);
}
