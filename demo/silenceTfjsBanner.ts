import * as tf from '@tensorflow/tfjs';

/**
 * Silence tfjs's one-time "Hi, looks like you are running TensorFlow.js in Node.js … install our
 * node backend" banner in rxgrad's own commands and tests (the README says once that
 * @tensorflow/tfjs-node is optional and faster).
 *
 * 1. The cpu backend prints the banner when it stores its first tensor, unless tfjs's `PROD`
 *    flag is on. One scalar is created and freed with `PROD` on, then `PROD` is restored: no
 *    other check or warning of tfjs is turned off.
 * 2. Call it after the backend is chosen (`useBackend`, `tf.setBackend`); on other backends it
 *    does nothing visible. No tensor is left behind.
 *
 * @example
 * await useBackend('cpu');
 * silenceTfjsBanner();
 */
export function silenceTfjsBanner(): void {
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    tf.scalar(0).dispose();
  } finally {
    tf.env().set('PROD', prod);
  }
}
