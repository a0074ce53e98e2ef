import type { Task } from '../models/Model';

/**
 * The prediction in a row of scores as `Model.scoreRows` writes them (`outputs` numbers per
 * row, the row starting at `offset`):
 *
 *   regression: ŷ = scores[offset];   classifiers: ŷ = argmax_j scores[offset + j] (the first on ties)
 *
 * @example
 * yHatOf('binary', Float32Array.of(0.3, 0.7), 0, 2); // 1
 */
export function yHatOf(task: Task, scores: ArrayLike<number>, offset: number, outputs: number): number {
  if (task === 'regression') return scores[offset];
  let best = 0;
  for (let j = 1; j < outputs; j++) if (scores[offset + j] > scores[offset + best]) best = j;
  return best;
}

/**
 * The error of one prediction, what drift detectors watch: 0/1 (wrong) for classifiers,
 * |y − ŷ| for regression.
 *
 * @example
 * errorOf('binary', 1, 0); // 1
 */
export function errorOf(task: Task, y: number, yHat: number): number {
  return task === 'regression' ? Math.abs(y - yHat) : y === yHat ? 0 : 1;
}
