import { RxgradError } from '../RxgradError';

/**
 * Check that `y` is a class index in [0, classes); return it.
 *
 * @example
 * checkClass('y', 1, 2); // 1
 */
export function checkClass(field: string, y: number, classes: number): number {
  if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new RxgradError(field, `a class index in [0, ${classes})`, y);
  return y;
}
