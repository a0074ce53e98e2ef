/**
 * Shuffle `order` in place with `rand` (Fisher–Yates, from the end): for i = n−1 … 1, swap
 * order[i] with order[⌊rand() · (i + 1)⌋]. `minibatches` shuffles its epochs with it, so code
 * that must see the same batches (the benchmarks' hand-written loops) calls it with the same
 * `mulberry32(seed)`.
 *
 * @example
 * const order = Uint32Array.of(0, 1, 2, 3);
 * shuffleInPlace(order, mulberry32(1)); // minibatches(…, { shuffle: true, seed: 1 })'s first epoch
 */
export function shuffleInPlace(order: Uint32Array, rand: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}
