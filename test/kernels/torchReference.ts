import { readFileSync } from 'node:fs';

/** test/fixtures/torch_reference.json: PyTorch's trajectories of 40 steps from `p0` on the fixed gradients `grads`. */
export interface TorchReference {
  p0: number[][];
  grads: number[][][];
  optimizers: Record<string, { torch: string; kwargs: Record<string, number | boolean>; params: number[][][] }>;
}

/**
 * The PyTorch fixture (test/fixtures/torch_reference.json, made by its .md's script).
 *
 * @example
 * torchReference.optimizers['adam'].params[0]; // PyTorch's parameters after step 1
 */
export const torchReference: TorchReference = JSON.parse(readFileSync(new URL('../fixtures/torch_reference.json', import.meta.url), 'utf8'));

/**
 * PyTorch's keyword arguments as rxgrad's options: snake_case → camelCase (the fixture has no
 * `betas`, which would split into beta1 and beta2).
 *
 * @example
 * camel({ weight_decay: 0.1, lr: 0.01 }); // { weightDecay: 0.1, lr: 0.01 }
 */
export function camel(kwargs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}
