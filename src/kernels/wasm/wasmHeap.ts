import * as tf from '@tensorflow/tfjs';

/**
 * The parts of `@tensorflow/tfjs-backend-wasm`'s backend (4.x) that rxgrad's in-place kernels
 * use: its Emscripten module (the heap, `_malloc`, `_free`, the exported `WebAssembly.Memory`)
 * and its table of tensor storage (`dataIdMap`: each float32 tensor's byte offset in the heap).
 */
export interface WasmHeap {
  readonly wasm: {
    readonly HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(offset: number): void;
    readonly asm?: { readonly memory?: WebAssembly.Memory };
    readonly wasmMemory?: WebAssembly.Memory;
  };
  readonly dataIdMap: { get(dataId: object): { readonly memoryOffset: number | null; readonly dtype: string } | undefined };
  refCount(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number): { dataId: object; shape: number[]; dtype: 'float32' };
}

function isWasmHeap(b: unknown): b is WasmHeap {
  const w = (b as Partial<WasmHeap> | undefined)?.wasm;
  return (
    w !== undefined &&
    w.HEAPU8 instanceof Uint8Array &&
    typeof w._malloc === 'function' &&
    typeof w._free === 'function' &&
    typeof (b as WasmHeap).dataIdMap?.get === 'function' &&
    typeof (b as WasmHeap).refCount === 'function' &&
    typeof (b as WasmHeap).makeOutput === 'function'
  );
}

/**
 * The tfjs-wasm backend in force, when tfjs's backend is `wasm` and has the internals
 * `WasmHeap` describes; else `undefined` (another backend, or a tfjs-wasm version laid out
 * otherwise: callers then take their copying path).
 *
 * @example
 * await tf.setBackend('wasm');
 * wasmHeap() !== undefined; // true
 */
export function wasmHeap(): WasmHeap | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const b: unknown = tf.engine().backend;
  return isWasmHeap(b) ? b : undefined;
}

/**
 * The heap's `WebAssembly.Memory` (the Emscripten module exports it), where it can be found.
 *
 * @example
 * heapMemory(wasmHeap())?.buffer === wasmHeap()!.wasm.HEAPU8.buffer; // true
 */
export function heapMemory(heap: WasmHeap | undefined): WebAssembly.Memory | undefined {
  return heap?.wasm.asm?.memory ?? heap?.wasm.wasmMemory;
}

/**
 * The byte offset of a float32 tensor's storage in the heap of `heap`, or `undefined` when the
 * tensor is not float32 or its storage is not there (disposed, or still on another backend:
 * tfjs moves it on its next op).
 *
 * @example
 * heapOffset(wasmHeap()!, tf.zeros([4])); // e.g. 1050624
 */
export function heapOffset(heap: WasmHeap, t: tf.Tensor): number | undefined {
  if (t.dtype !== 'float32' || t.isDisposed) return undefined;
  const d = heap.dataIdMap.get(t.dataId);
  return d === undefined || d.memoryOffset === null || d.dtype !== 'float32' ? undefined : d.memoryOffset;
}

/**
 * A float32 tensor's storage as a `Float32Array` view into the wasm heap (zero-copy), or
 * `undefined` (see `heapOffset`). Writing into it changes the tensor.
 *
 * 1. The view is valid only until the heap grows: any tfjs op or new tensor may grow it, which
 *    detaches every view (length 0). Take views after the allocations, use them, drop them —
 *    never hold one across a tfjs call.
 * 2. Write only into storage no other tensor shares (`heap.refCount(t.dataId) === 1`).
 *
 * @example
 * const t = tf.tensor([1, 2, 3]);
 * heapValues(wasmHeap()!, t); // Float32Array [1, 2, 3], t's own storage
 */
export function heapValues(heap: WasmHeap, t: tf.Tensor): Float32Array | undefined {
  const offset = heapOffset(heap, t);
  return offset === undefined ? undefined : new Float32Array(heap.wasm.HEAPU8.buffer, offset, t.size);
}

/**
 * A new float32 tensor of `shape` over `bytes` freshly allocated bytes of the heap (at least its
 * own 4·size; the rest is room the caller uses, freed with the tensor), contents arbitrary.
 * May grow the heap: take views after it.
 *
 * @example
 * const u = heapTensor(wasmHeap()!, [1000], 8000); // 1000 values, and 1000 more floats after them
 */
export function heapTensor(heap: WasmHeap, shape: readonly number[], bytes: number): tf.Tensor {
  return adoptHeap(heap, heap.wasm._malloc(bytes) >>> 0, shape);
}

/**
 * A new float32 tensor of `shape` that takes ownership of the heap block at `offset` (from
 * `heap.wasm._malloc`, at least 4·size bytes): tfjs frees it with the tensor. No copy.
 *
 * @example
 * const t = adoptHeap(heap, heap.wasm._malloc(16) >>> 0, [4]);
 */
export function adoptHeap(heap: WasmHeap, offset: number, shape: readonly number[]): tf.Tensor {
  const info = heap.makeOutput(shape as number[], 'float32', offset);
  return tf.engine().makeTensorFromTensorInfo(info, heap as unknown as tf.KernelBackend);
}
