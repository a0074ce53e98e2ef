import { SIMD_KERNELS_WASM } from './simdKernelsBinary';
import { giveScratch, takeScratch } from '../scratch';

/** The exports of simdKernels.wat (pointers are byte offsets into the arena's memory). */
export interface SimdKernels {
  adam(n: number, g: number, x: number, m: number, v: number, u: number, next: number, b1: number, c1: number, b2: number, c2: number, ibc1: number, irbc2: number, eps: number, eta: number, lc: number, ld: number): number;
  sgdMomentum(n: number, g: number, x: number, t: number, u: number, next: number, mu: number, keep: number, eta: number, lambda: number, nesterov: number): number;
  /** Σ v_i² in float64 of the n float32 values at byte offset p (any n, any alignment). */
  sumSquares(n: number, p: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or `null` where WebAssembly SIMD is not available. */
function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(SIMD_KERNELS_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** The instance running on each arena's memory, by the memory's buffer. */
const instances = new WeakMap<ArrayBufferLike, SimdKernels>();
/** The current arena of each key (parameter) and length. */
const arenas = new WeakMap<object, { readonly n: number; readonly buffer: ArrayBufferLike }>();

/** Regions per arena: g, u, next, a copy of x, m, v and two for updates or parameters still held. */
const REGIONS = 8;

/**
 * Where the SIMD kernels run, the smallest parameter (values) they take; smaller ones run the
 * JavaScript in-place kernels. Measured with `npm run bench` (the in-place table's JS and SIMD
 * columns, on cpu and with `--backend wasm`). Settable: `Infinity` turns them off, as the
 * benchmark does for its JS column.
 *
 * 1. `minSize`: on cpu, in a SIMD arena (the gradient is copied in at every update);
 * 2. `heapMinSize`: on the wasm backend's heap (`runInPlaceWasm`: nothing is copied).
 *
 * @example
 * SIMD_KERNELS.minSize;     // 4096
 * SIMD_KERNELS.heapMinSize; // 64
 */
export const SIMD_KERNELS: { minSize: number; heapMinSize: number } = { minSize: 4096, heapMinSize: 64 };

/**
 * A SIMD arena for a parameter of `n` values (n a multiple of 4, at least `SIMD_KERNELS.minSize`), or
 * `undefined` (no WebAssembly SIMD here, or `n` does not qualify):
 *
 * 1. an arena is one fixed-size `WebAssembly.Memory` (never grown, so views into it stay valid)
 *    holding `REGIONS` arrays of n float32s, 16-byte aligned, handed to the scratch pool of `key`
 *    (`takeScratch(key, n, arena)`): the in-place path takes its buffers from it, and the
 *    parameter and moment tensors end up living in it;
 * 2. when fewer than `need` of its regions are free (held by tensors that are still alive), a
 *    new arena replaces it for later updates; the old one goes when its last view does.
 *
 * Returns the arena's buffer (compare an array's `.buffer` with it).
 *
 * @example
 * const arena = simdArena(param, 1 << 20, 4);
 * const g = takeScratch(param, 1 << 20, arena!)!; // a region inside it
 */
export function simdArena(key: object, n: number, need: number): ArrayBufferLike | undefined {
  if (n < SIMD_KERNELS.minSize || n % 4 !== 0) return undefined;
  const module = simdModule();
  if (module === null) return undefined;
  const current = arenas.get(key);
  if (current && current.n === n && freeRegions(key, n, current.buffer) >= need) return current.buffer;
  const bytes = n * 4;
  const pages = Math.ceil((bytes * REGIONS) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  instances.set(memory.buffer, instance.exports as unknown as SimdKernels);
  for (let r = 0; r < REGIONS; r++) giveScratch(key, new Float32Array(memory.buffer, r * bytes, n));
  arenas.set(key, { n, buffer: memory.buffer });
  return memory.buffer;
}

function freeRegions(key: object, n: number, buffer: ArrayBufferLike): number {
  const taken: Float32Array[] = [];
  for (let a = takeScratch(key, n, buffer); a !== undefined; a = takeScratch(key, n, buffer)) taken.push(a);
  for (const a of taken) giveScratch(key, a);
  return taken.length;
}

/**
 * Whether `buffer` is a SIMD arena's memory (its regions are views that rxgrad hands out itself).
 *
 * @example
 * isArenaBuffer(simdArena(param, 1 << 20, 4)!); // true
 */
export function isArenaBuffer(buffer: ArrayBufferLike): boolean {
  return instances.has(buffer);
}

/**
 * The SIMD kernels running on `arrays`' memory, when every array lives in one SIMD arena
 * (`simdArena`); else `undefined` (run the JavaScript kernel).
 *
 * @example
 * simdKernelsFor([g, x, m, v, out.update, out.next])?.adam(…);
 */
export function simdKernelsFor(arrays: readonly Float32Array[]): SimdKernels | undefined {
  const buffer = arrays[0].buffer;
  for (const a of arrays) if (a.buffer !== buffer) return undefined;
  return instances.get(buffer) ?? (admittedMemory !== undefined && admittedMemory.buffer === buffer ? admittedKernels : undefined);
}

/**
 * The SIMD kernels instantiated on a foreign `memory` (once per memory, importing it), or `null`
 * where they cannot run on it (no WebAssembly SIMD, or a shared memory). Pointers are byte offsets
 * into that memory.
 *
 * @example
 * simdKernelsOn(heapMemory)?.sumSquares(view.length, view.byteOffset); // a view of heapMemory's buffer
 */
export function simdKernelsOn(memory: WebAssembly.Memory): SimdKernels | null {
  let kernels = foreign.get(memory);
  if (kernels !== undefined) return kernels;
  const module = simdModule();
  kernels = null;
  if (module !== null && !(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)) {
    try {
      kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    } catch {
      kernels = null;
    }
  }
  foreign.set(memory, kernels);
  return kernels;
}

/**
 * Whether the SIMD kernels can run on a foreign `memory` (`admitSimd` then admits them): false
 * where WebAssembly SIMD is not available or the memory is shared.
 *
 * @example
 * simdRunsOn(new WebAssembly.Memory({ initial: 1 })); // true where WebAssembly SIMD is available
 */
export function simdRunsOn(memory: WebAssembly.Memory): boolean {
  return simdKernelsOn(memory) !== null;
}

/** The instance running on each foreign memory (another module's, e.g. tfjs-wasm's heap). */
const foreign = new WeakMap<WebAssembly.Memory, SimdKernels | null>();
/** The foreign memory `simdKernelsFor` answers for, and its instance, while admitted (`admitSimd`). */
let admittedMemory: WebAssembly.Memory | undefined;
let admittedKernels: SimdKernels | undefined;

/**
 * Admit the SIMD kernels on a foreign `memory` (the tfjs-wasm backend's heap) for one kernel call:
 *
 * 1. the module is instantiated once per memory, importing it (never growing it itself: the
 *    kernels only load and store at the offsets they are given);
 * 2. until `revokeSimd()`, `simdKernelsFor(arrays)` also answers for arrays that are all views of
 *    that memory's current buffer (so `adamKernelSimd`/`sgdKernelSimd` run there); after it, only
 *    for arenas again — call it in a `finally`;
 * 3. returns false, admitting nothing, where WebAssembly SIMD is not available or `memory` is
 *    shared (the JavaScript kernels then run).
 *
 * The caller chooses when the SIMD kernel applies (`SIMD_KERNELS.heapMinSize`).
 *
 * @example
 * if (admitSimd(heapMemory)) try { adamKernelSimd(g, x, s, h, out); } finally { revokeSimd(); }
 */
export function admitSimd(memory: WebAssembly.Memory): boolean {
  const kernels = simdKernelsOn(memory);
  if (kernels === null) return false;
  admittedMemory = memory;
  admittedKernels = kernels;
  return true;
}

/** See `admitSimd`. */
export function revokeSimd(): void {
  admittedMemory = undefined;
  admittedKernels = undefined;
}
