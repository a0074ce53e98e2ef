import * as tf from '@tensorflow/tfjs';
import { RxgradError } from './RxgradError';

/** Backends rxgrad can run on. `auto` picks tfjs-node when it is installed, else `cpu`. */
export type BackendName = 'auto' | 'cpu' | 'wasm' | 'tensorflow';

const BACKENDS: readonly BackendName[] = ['auto', 'cpu', 'wasm', 'tensorflow'];

async function tryImport(specifier: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * Select and initialise a tfjs backend; returns the name in force.
 *
 * 1. `tensorflow` loads `@tensorflow/tfjs-node` (native, optional: never a dependency) and
 *    fails with a clear error when it is not installed.
 * 2. `wasm` loads `@tensorflow/tfjs-backend-wasm`.
 * 3. `cpu` is the pure-JS backend, always available.
 * 4. `auto` is `tensorflow` when tfjs-node is installed, else `cpu`.
 *
 * @example
 * await useBackend('wasm'); // 'wasm'
 */
export async function useBackend(name: BackendName = 'auto'): Promise<string> {
  if (!BACKENDS.includes(name)) throw new RxgradError('backend', `one of ${BACKENDS.join(', ')}`, name);
  let target: string = name;
  if (name === 'auto') target = (await tryImport('@tensorflow/tfjs-node')) ? 'tensorflow' : 'cpu';
  else if (name === 'tensorflow' && !(await tryImport('@tensorflow/tfjs-node'))) {
    throw new RxgradError('backend', 'an installed @tensorflow/tfjs-node for "tensorflow"', name, 'npm install @tensorflow/tfjs-node');
  } else if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(target))) throw new RxgradError('backend', 'a backend that initialises', target);
  await tf.ready();
  return tf.getBackend();
}
