/**
 * A copy of `base` with `fields` added or replaced — what `{ ...base, ...fields }` means — built
 * the way Node 20's V8 does fastest for step records:
 *
 * 1. when every key of `fields` is already a key of `base` (a step passed on with a new value of a
 *    field it has), by that spread (V8 copies the record in one go: ~50 ns);
 * 2. otherwise with `Object.assign` (~150 ns): a spread followed by keys its source lacks takes a
 *    slow path there (1–4 µs for a step record), and operators do this for every step.
 *
 * @example
 * extend({ step: 1, hyper: {} }, { loss: 0.5 }); // { step: 1, hyper: {}, loss: 0.5 }
 */
export function extend<T extends object, F extends object>(base: T, fields: F): Omit<T, keyof F> & F {
  for (const key in fields) if (!(key in base)) return Object.assign({}, base, fields);
  return { ...base, ...fields };
}
