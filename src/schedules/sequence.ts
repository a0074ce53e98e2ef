import { RxgradError } from '../RxgradError';
import type { HyperValue, Schedule } from '../types';
import { positiveInt } from '../validate';
import { scheduleOf } from './scheduleOf';

/**
 * PyTorch's `SequentialLR`: one schedule after another, each later one restarting its own
 * count at its milestone.
 *
 *   with milestones m_1 < … < m_k (absolute steps), i = #{ j : t > m_j }:
 *   η_t = s_i(t − m_i, epoch)   (m_0 = 0)
 *
 * So schedule i + 1 sees its step 1 at step m_i + 1 — the milestone is the number of steps taken
 * before the switch, exactly PyTorch's `milestones`. Numbers stand for constants. The epoch is
 * passed through unchanged.
 *
 * @example
 * // 10 warmup steps from 0.001, then a cosine over 50 steps:
 * const s = sequence([linear({ base: 0.1, startFactor: 0.01, totalIters: 10 }), cosine({ base: 0.1, tMax: 50 })], [10]);
 * s(1);  // 0.001
 * s(11); // 0.1
 */
export function sequence(schedules: readonly HyperValue[], milestones: readonly number[]): Schedule {
  if (!Array.isArray(schedules) || schedules.length === 0) throw new RxgradError('schedules', 'a non-empty array of schedules or numbers', schedules);
  const parts = schedules.map((s, i) => scheduleOf(`schedules[${i}]`, s));
  if (!Array.isArray(milestones) || milestones.length !== parts.length - 1) {
    throw new RxgradError('milestones', `an array of ${parts.length - 1} step${parts.length === 2 ? '' : 's'} (one fewer than schedules)`, milestones);
  }
  milestones.forEach((m, i) => {
    positiveInt(`milestones[${i}]`, m);
    if (i > 0 && m <= milestones[i - 1]) throw new RxgradError(`milestones[${i}]`, `> milestones[${i - 1}] (${milestones[i - 1]})`, m);
  });
  return (step, epoch) => {
    const i = milestones.filter((m) => positiveInt('step', step) > m).length;
    return parts[i](step - (i === 0 ? 0 : milestones[i - 1]), epoch);
  };
}
