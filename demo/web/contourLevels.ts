/**
 * Contour levels for f(x) = a1·x1² + a2·x2² over a box, and the ellipse each level draws.
 *
 * 1. `levels`: about `count` "nice" values (1, 2 or 5 × 10^k apart, as plotting libraries
 *    choose) strictly between 0 and the largest f on the box, which is at a corner.
 * 2. The level set f = c is the ellipse centred at 0 with semi-axes √(c/a1) and √(c/a2).
 *
 * @example
 * contourLevels([1, 2], { x1: [-5.5, 1], x2: [-3, 1] }, 8);
 * // f max = 5.5² + 2·3² = 48.25, /8 = 6.03 → step 10: { levels: [10, 20, 30, 40], axes: [[√10, √5], …] }
 */
export function contourLevels(
  a: readonly [number, number],
  box: { readonly x1: readonly [number, number]; readonly x2: readonly [number, number] },
  count: number,
): { levels: number[]; axes: [number, number][] } {
  const m1 = Math.max(box.x1[0] ** 2, box.x1[1] ** 2);
  const m2 = Math.max(box.x2[0] ** 2, box.x2[1] ** 2);
  const fmax = a[0] * m1 + a[1] * m2;
  const raw = fmax / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const levels: number[] = [];
  for (let c = step; c < fmax - 1e-12; c += step) levels.push(Number(c.toPrecision(12)));
  return { levels, axes: levels.map((c) => [Math.sqrt(c / a[0]), Math.sqrt(c / a[1])]) };
}
