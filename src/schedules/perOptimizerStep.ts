import type { HyperValue, Schedule } from '../types';
import { positiveInt } from '../validate';
import { scheduleOf } from './scheduleOf';

/**
 * A schedule counted in optimizer steps when `accumulate(k, …)` makes one update of every k
 * micro-batches: η_t = s(⌈t/k⌉), t the micro-batch's 1-based step. Micro-batches (n−1)k+1 … nk
 * all see s(n), the value in force for optimizer step n (used on its k-th micro-batch).
 *
 * @example
 * learningRate(perOptimizerStep(4, cosine({ base: 0.1, tMax: 100 }))); // 100 optimizer steps = 400 micro-batches
 * perOptimizerStep(4, (n) => n)(5); // 2
 */
export function perOptimizerStep(k: number, schedule: HyperValue): Schedule {
  const every = positiveInt('k', k);
  const s = scheduleOf('schedule', schedule);
  return (step, epoch) => s(Math.ceil(positiveInt('step', step) / every), epoch);
}
