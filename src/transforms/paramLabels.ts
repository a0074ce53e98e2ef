import type * as tf from '@tensorflow/tfjs';
import type { Tensors } from '../types';
import { RxgradError, shown } from '../RxgradError';

/**
 * How parameters are put into groups: a function of the name (and the tensor: its shape, rank)
 * giving the group's label, or patterns by label — a name goes to the first label (in the
 * object's order) whose RegExp matches it.
 */
export type ParamLabels = ((name: string, param: tf.Tensor) => string) | Readonly<Record<string, RegExp>>;

/**
 * Check `labels` and return the function that labels one parameter.
 *
 * 1. Patterns must be RegExps; a label function must be a function; else an `RxgradError` on `field`.
 * 2. The function throws an `RxgradError` naming the parameter when its label is not one of
 *    `valid` (a pattern set no pattern of which matches the name, a label function returning an
 *    unknown label).
 *
 * @example
 * const labelOf = paramLabeller({ noDecay: /(^|\.)b$/, decay: /^/ }, ['decay', 'noDecay'], 'labels');
 * labelOf('layer1.b', tf.zeros([3])); // 'noDecay'
 */
export function paramLabeller(labels: ParamLabels, valid: readonly string[], field: string): (name: string, param: tf.Tensor) => string {
  const expected = `one of the groups (${valid.join(', ')})`;
  if (typeof labels === 'function') {
    return (name, param) => {
      const label = labels(name, param);
      if (typeof label !== 'string' || !valid.includes(label)) throw new RxgradError(`${field}(${name})`, expected, label);
      return label;
    };
  }
  if (labels === null || typeof labels !== 'object') throw new RxgradError(field, 'a function (name, param) => label, or RegExps by label', labels);
  const patterns = Object.entries(labels);
  for (const [label, re] of patterns) {
    if (!(re instanceof RegExp)) throw new RxgradError(`${field}.${label}`, 'a RegExp', re);
    if (!valid.includes(label)) throw new RxgradError(`${field}.${label}`, expected, shown('an unknown group'));
  }
  return (name) => {
    const hit = patterns.find(([, re]) => new RegExp(re.source, re.flags.replace('g', '')).test(name));
    if (!hit) throw new RxgradError(`${field}`, `a pattern matching the parameter \`${name}\` (${patterns.map(([l, re]) => `${l}: ${re}`).join(', ')})`, shown('none'));
    return hit[0];
  };
}

/**
 * Split a name-keyed tree by label: `out[label][name] = tree[name]`, every label of `labels`
 * present (an empty record for a group without parameters). `like(name)` is the tensor the
 * labeller is shown (the parameter, when known).
 *
 * @example
 * groupTree({ w: w, b: b }, ['decay', 'noDecay'], (n) => (n === 'b' ? 'noDecay' : 'decay')); // { decay: { w }, noDecay: { b } }
 */
export function groupTree(
  tree: Tensors,
  labels: readonly string[],
  labelOf: (name: string, param: tf.Tensor) => string,
  like: (name: string) => tf.Tensor = (name) => tree[name],
): Record<string, Tensors> {
  const out: Record<string, Tensors> = {};
  for (const label of labels) out[label] = {};
  for (const name of Object.keys(tree)) out[labelOf(name, like(name))][name] = tree[name];
  return out;
}
