import type * as tf from '@tensorflow/tfjs';
import type { Tensors } from '../../types';
import type { PlannedTransform } from '../../transforms/PlannedTransform';
import type { FusedInPlaceCall, FusedStep, PlansOf } from '../../optimizers/fusedChain';
import { stageSum } from '../stagedSum';
import { values } from '../values';
import { endLoans, lendValues } from '../lendValues';
import { adoptHeap, heapMemory, heapOffset, heapTensor, heapValues, wasmHeap, type WasmHeap } from './wasmHeap';
import { SIMD_KERNELS, admitSimd, revokeSimd, simdRunsOn } from './simdKernels';
import { FUSED_BACKENDS } from '../useFused';

/** A heap block holding a staged x + u that `addUpdates` has not taken yet, and the update it goes with. */
interface PendingSum {
  readonly heap: WasmHeap;
  readonly update: tf.Tensor;
  readonly offset: number;
}

/** The state arrays lent during one kernel call (`endLoans` empties it after each). */
const loans = new Map<tf.Tensor, Float32Array>();
/** The heap of the kernel call in progress (`writableOnWasm` reads it). */
let kernelHeap: WasmHeap | undefined;

/** `writable` on the heap: see `runInPlaceWasm`, 2. A module function: no closure per update. */
function writableOnWasm(t: tf.Tensor): Float32Array {
  const heap = kernelHeap!;
  const view = heapValues(heap, t);
  // A copy read from the heap view (no heap allocation), else from the tensor where it lies.
  const a = view === undefined ? values(t).slice() : heap.refCount(t.dataId) === 1 ? view : view.slice();
  loans.set(t, a);
  return a;
}

/** Blocks staged and not taken: freed once their update is disposed (`sweep`), or adopted by `addUpdates`. */
const pending: PendingSum[] = [];

/** Free the staged blocks whose update is gone (its step dropped, errored or refused): `addUpdates` can no longer take them. */
function sweep(): void {
  for (let i = pending.length - 1; i >= 0; i--) {
    const s = pending[i];
    if (!s.update.isDisposed) continue;
    pending.splice(i, 1);
    // A backend that was disposed meanwhile freed its whole heap (its `wasm` is gone).
    if (s.heap.wasm != null) s.heap.wasm._free(s.offset);
  }
}

/** `addUpdates` takes a staged sum: the block becomes the parameter's new storage. */
function take(s: PendingSum, shape: readonly number[]): tf.Tensor {
  pending.splice(pending.indexOf(s), 1);
  return adoptHeap(s.heap, s.offset, shape);
}

/**
 * The tfjs-wasm backend, when `fusedChain`'s `updateInPlace` can run every parameter in place on
 * its heap (`runInPlaceWasm`): the backend in force is `wasm` (`wasmHeap`) and every gradient
 * and its parameter is a float32 tensor whose storage is in the heap. Else `undefined`.
 *
 * @example
 * await tf.setBackend('wasm');
 * inPlaceHeap({ w: tf.ones([3]) }, { w: tf.variable(tf.zeros([3])) }) !== undefined; // true
 */
export function inPlaceHeap(grads: Tensors, params: Tensors | undefined): WasmHeap | undefined {
  const heap = wasmHeap();
  if (heap === undefined || params === undefined) return undefined;
  for (const name of Object.keys(grads)) {
    const g = grads[name] as tf.Tensor | null | undefined;
    const p = params[name] as tf.Tensor | null | undefined;
    if (g == null || p == null || g.size !== p.size || heapOffset(heap, g) === undefined || heapOffset(heap, p) === undefined) return undefined;
  }
  return heap;
}

/**
 * Whether the in-place path on the heap (`runInPlaceWasm`) beats tfjs's own kernels (the chain)
 * for an update of `grads`: every parameter either takes the SIMD kernel (`simd(plans, name)`, at
 * least `SIMD_KERNELS.heapMinSize` values) or is small (at most `FUSED_BACKENDS.wasm` values).
 * tfjs-wasm's kernels are compiled SIMD code: a large parameter without a SIMD kernel (adagrad,
 * rmsprop, adadelta, adamax, AMSGrad, sgd without momentum or before its buffer exists) is
 * faster in the chain than in a JavaScript loop (measured: momentum at 1e6 values, 5.0 ms in the
 * JavaScript kernel on the heap against 1.5 ms for `tf.train.momentum`).
 *
 * @example
 * heapTakes(simd, plans, { w: tf.zeros([1e6]) }); // true for adam (SIMD), false for adagrad
 */
export function heapTakes<T extends readonly PlannedTransform<any, any>[]>(simd: (plans: PlansOf<T>, name: string) => boolean, plans: PlansOf<T>, grads: Tensors): boolean {
  const small = FUSED_BACKENDS.wasm ?? 0;
  const memory = heapMemory(wasmHeap());
  const simdHere = memory !== undefined && simdRunsOn(memory);
  for (const name of Object.keys(grads)) {
    const n = grads[name].size;
    if (n > small && !(simdHere && n >= SIMD_KERNELS.heapMinSize && simd(plans, name))) return false;
  }
  return true;
}


/**
 * `fusedChain`'s in-place update of one parameter `p` on the tfjs-wasm backend's own heap: the
 * JavaScript in-place kernel — or, where `simd(plans, name)` says the kernel has a SIMD path and
 * the parameter has at least `SIMD_KERNELS.heapMinSize` values (of any number: the last n mod 4 go
 * to the JavaScript kernel), the WebAssembly SIMD kernel instantiated on that heap's memory
 * (`admitSimd`) — reads and writes the tensors' storage where it lies, with no copy in or out:
 *
 * 1. the update tensor u and a block for x + u are allocated in the heap first (the only
 *    allocations: the heap may grow here); then views are taken of g, x, u and x + u; the views
 *    are dropped when the kernel returns;
 * 2. `writable(t)` gives, when no other tensor shares t, t's own storage (written in place: the
 *    tensor stays in the new state), otherwise a copy of its values, which becomes a new state
 *    tensor;
 * 3. while the kernel runs, `values(t)` answers what `writable(t)` gave (`lendValues`), so a
 *    kernel that keeps the tensor when `values(t) === writable(t)` does so without a read-back
 *    (a copy on wasm), and a kept tensor whose values were copied becomes its copy;
 * 4. if the kernel throws, u and the block are freed before the error goes on;
 * 5. x + u and its finiteness are staged (`stageSum`) for `addUpdates`, which adopts the block
 *    as the parameter's new storage (no copy), or refuses a non-finite one naming the parameter
 *    (the block is then freed at once). Nothing is assigned here. A block never taken (its step
 *    dropped) is freed at the next update after its update tensor is disposed.
 *
 * Returns the update tensor and the parts' fields, as `fusedChain` expects. The results are
 * those of the same kernels on the cpu backend (bit-identical with the JavaScript kernels).
 *
 * @example
 * const heap = inPlaceHeap(grads, params);
 * if (heap) runInPlaceWasm(heap, inPlace, simd, plans, 'w', grads.w, params.w); // then addUpdates(params, { w: update })
 */
export function runInPlaceWasm<T extends readonly PlannedTransform<any, any>[]>(
  heap: WasmHeap,
  inPlace: FusedInPlaceCall<T>,
  simd: (plans: PlansOf<T>, name: string) => boolean,
  plans: PlansOf<T>,
  name: string,
  g: tf.Tensor,
  p: tf.Tensor,
): { readonly update: tf.Tensor; readonly fields: FusedStep['fields'] } {
  sweep();
  const n = g.size;
  const update = heapTensor(heap, g.shape, 4 * n);
  const nextOffset = heap.wasm._malloc(4 * n) >>> 0;
  // From here until the kernel returns nothing allocates in the heap: the views stay valid.
  const buffer = heap.wasm.HEAPU8.buffer;
  const out = { update: new Float32Array(buffer, heapOffset(heap, update)!, n), next: new Float32Array(buffer, nextOffset, n) };
  const gv = heapValues(heap, g)!;
  const xv = heapValues(heap, p)!;
  const memory = heapMemory(heap);
  const admitted = memory !== undefined && n >= SIMD_KERNELS.heapMinSize && simd(plans, name) && admitSimd(memory);
  kernelHeap = heap;
  lendValues(loans);
  let check: number;
  let fields: FusedStep['fields'];
  try {
    const done = inPlace(plans, name, gv, xv, writableOnWasm, out);
    check = done.check;
    fields = ownFields(done.fields, loans, buffer);
  } catch (e) {
    heap.wasm._free(nextOffset);
    update.dispose();
    throw e;
  } finally {
    kernelHeap = undefined;
    endLoans();
    if (admitted) revokeSimd();
  }
  if (check !== 0) {
    heap.wasm._free(nextOffset);
    stageSum(update, p, out.next, false);
  } else {
    const s: PendingSum = { heap, update, offset: nextOffset };
    pending.push(s);
    stageSum(update, p, out.next, true, () => take(s, p.shape));
  }
  return { update, fields };
}

/** Whether a field value must be replaced (`ownFields`): a heap view, or a tensor whose values were lent as a copy. */
function replaced(v: unknown, loans: ReadonlyMap<tf.Tensor, Float32Array>, buffer: ArrayBufferLike): boolean {
  if (v instanceof Float32Array) return v.buffer === buffer;
  const lentAs = loans.get(v as tf.Tensor);
  return lentAs !== undefined && lentAs.buffer !== buffer;
}

/**
 * The kernel's fields as `fusedChain` must see them: a lent heap view becomes its tensor (the
 * state written in place: a view must never become a new tensor, whose making may grow the heap
 * under it), a tensor whose values were copied becomes its copy (the array, made a new tensor by
 * `fusedChain`). Returned as they are when nothing needs replacing (the in-place common case).
 */
function ownFields(fields: FusedStep['fields'], loans: ReadonlyMap<tf.Tensor, Float32Array>, buffer: ArrayBufferLike): FusedStep['fields'] {
  let any = false;
  for (const f of fields) if (f) for (const key in f) if (replaced(f[key], loans, buffer)) any = true;
  if (!any) return fields;
  const tensorOf = new Map<Float32Array, tf.Tensor>();
  for (const [t, v] of loans) tensorOf.set(v, t);
  return fields.map((f) => {
    if (!f) return f;
    const copy: Record<string, unknown> = {};
    for (const key in f) {
      const v = f[key];
      copy[key] = !replaced(v, loans, buffer) ? v : v instanceof Float32Array ? (tensorOf.get(v) ?? v.slice()) : loans.get(v as tf.Tensor);
    }
    return copy;
  });
}
