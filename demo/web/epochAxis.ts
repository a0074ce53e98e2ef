/** What `epochAxis` needs of a point. */
export interface EpochPoint {
  readonly step: number;
  readonly epoch: number;
}

/**
 * Fractional epochs for plotting against "epoch", as the book's airfoil figures do.
 *
 *   x = (epoch − 1) + k / K
 *
 * where k is the point's 1-based position within its epoch and K the steps of that epoch: the
 * count seen for a finished epoch, and for the epoch still running the count of the first
 * epoch if it is finished (the steps per epoch), else the count so far.
 *
 * @example
 * epochAxis([{ step: 1, epoch: 1 }, { step: 2, epoch: 1 }, { step: 3, epoch: 2 }]); // [0.5, 1, 1.5]
 */
export function epochAxis(points: readonly EpochPoint[]): number[] {
  const first = new Map<number, number>();
  const count = new Map<number, number>();
  for (const p of points) {
    if (!first.has(p.epoch)) first.set(p.epoch, p.step);
    count.set(p.epoch, (count.get(p.epoch) ?? 0) + 1);
  }
  const last = points.length ? points[points.length - 1].epoch : 1;
  const firstDone = last > 1 ? count.get(1) : undefined;
  return points.map((p) => {
    const seen = count.get(p.epoch)!;
    const steps = p.epoch === last && firstDone !== undefined ? Math.max(firstDone, seen) : seen;
    return p.epoch - 1 + (p.step - first.get(p.epoch)! + 1) / steps;
  });
}
