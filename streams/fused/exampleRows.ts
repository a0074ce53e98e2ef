import type { Observable } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import type { AnalyticLoss } from '../../src/fast/AnalyticLoss';
import { batchArrays } from '../../src/fast/analyticGrads';
import type { Step } from '../Step';
import type { FusedRows } from './fusion';

/**
 * The fused rows of a source of `ExampleBatch` steps (`replay`, `fromExamples`): the steps
 * themselves, each batch read and checked as `gradients` reads it (`batchArrays`: a wrong width
 * or label fails the step with the model's own error). `undefined` for a linear model of more
 * than one output, whose tfjs path broadcasts an `ExampleBatch`'s labels.
 *
 * @example
 * describe(steps, { stage: 'source', rows: (analytic) => exampleRows(steps, analytic) });
 */
export function exampleRows(steps: Observable<Step<ExampleBatch>>, analytic: AnalyticLoss): FusedRows | undefined {
  const { sizes, output } = analytic.layout;
  if (output === 'linear' && sizes[sizes.length - 1] !== 1) return undefined;
  return { steps, examples: true, arrays: (batch) => batchArrays(analytic, batch as ExampleBatch)! };
}
