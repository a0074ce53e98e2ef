import * as tf from '@tensorflow/tfjs';
import { RxgradError } from './RxgradError';

/** Backends rxgrad can run on. `auto` picks the fastest one installed (see `useBackend`). */
export type BackendName = 'auto' | 'cpu' | 'wasm' | 'tensorflow';

const BACKENDS: readonly BackendName[] = ['auto', 'cpu', 'wasm', 'tensorflow'];

/** Whether `import(specifier)` succeeds (the package is installed and loads). */
async function importable(specifier: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * The backend `'auto'` tries, by what is installed, fastest first:
 *
 * 1. `tensorflow` when `tfjsNode()` resolves true (default: `@tensorflow/tfjs-node`, native
 *    TensorFlow, never a dependency, imports);
 * 2. else `wasm` when `@tensorflow/tfjs-backend-wasm` imports (an MLP 784-256-10 step at batch
 *    128 with Adam: 7 ms there against 100 ms on cpu, 2 vCPU);
 * 3. else `cpu`.
 *
 * @example
 * await autoBackend(); // 'wasm' where the wasm backend is installed and tfjs-node is not
 */
export async function autoBackend(tfjsNode: () => Promise<boolean> = () => importable('@tensorflow/tfjs-node')): Promise<'tensorflow' | 'wasm' | 'cpu'> {
  if (await tfjsNode()) return 'tensorflow';
  if (await importable('@tensorflow/tfjs-backend-wasm')) return 'wasm';
  return 'cpu';
}

/**
 * Select and initialise a tfjs backend; returns the name in force.
 *
 * 1. `tensorflow` loads `@tensorflow/tfjs-node` (native, optional: never a dependency) and
 *    fails with a clear error when it is not installed.
 * 2. `wasm` loads `@tensorflow/tfjs-backend-wasm` (an optional peer dependency) and fails with
 *    a clear error when it is not installed.
 * 3. `cpu` is the pure-JS backend, always available.
 * 4. `auto` (the default) is `autoBackend()`'s pick — tfjs-node, else wasm, else cpu — and falls
 *    back to `cpu` when the pick fails to initialise. On each backend rxgrad's optimizers take
 *    their fused kernels where `FUSED_BACKENDS` measured them faster, and its dense layers the
 *    backward pass `EXPLICIT_TRANSPOSE_BACKENDS` measured faster.
 *
 * @example
 * await useBackend('wasm'); // 'wasm'
 * await useBackend();       // 'tensorflow', 'wasm' or 'cpu': the fastest installed
 */
export async function useBackend(name: BackendName = 'auto'): Promise<string> {
  if (!BACKENDS.includes(name)) throw new RxgradError('backend', `one of ${BACKENDS.join(', ')}`, name);
  if (name === 'auto') {
    const pick = await autoBackend();
    if (pick !== 'cpu' && (await tf.setBackend(pick))) {
      await tf.ready();
      return tf.getBackend();
    }
    return useBackend('cpu');
  }
  if (name === 'tensorflow' && !(await importable('@tensorflow/tfjs-node'))) {
    throw new RxgradError('backend', 'an installed @tensorflow/tfjs-node for "tensorflow"', name, 'npm install @tensorflow/tfjs-node');
  }
  if (name === 'wasm' && !(await importable('@tensorflow/tfjs-backend-wasm'))) {
    throw new RxgradError('backend', 'an installed @tensorflow/tfjs-backend-wasm for "wasm"', name, 'npm install @tensorflow/tfjs-backend-wasm');
  }
  if (!(await tf.setBackend(name))) throw new RxgradError('backend', 'a backend that initialises', name);
  await tf.ready();
  return tf.getBackend();
}
