/**
 * `npx tsx bench/compareTrees.ts <treeA> <treeB> [runs] [rows]`: the online pipeline of
 * `bench/online.ts` (logistic regression, 100 features, batch 1, test-then-train, plain SGD,
 * `accuracy`) from two checkouts of rxgrad in ONE process, for A/B-testing a change to the
 * per-example path (`git clone` the tree before the change into /tmp/base; a copy with one part
 * stubbed out gives that part's cost).
 *
 * 1. Each tree's `src/index.ts` and `streams/index.ts` are imported from its own directory: two
 *    copies of the library (their own functions, their own V8 feedback) on one tfjs. The same
 *    directory twice is one copy, run twice (to calibrate, compare two clones of one commit).
 * 2. `runs` rounds (default 300, after 4 untimed ones), alternated A B / B A (ABBA: neither
 *    side always runs second); each side makes one whole run over the same `rows` rows (default
 *    2,000): a new model, the subscription, every step.
 * 3. Reports each side's median µs per example and the median of the paired ratios B/A (below 1:
 *    B is faster). Two copies of one tree measure within about ±3 % at 300 runs and ±1 % at 2,000
 *    (about 45 s) here: smaller differences are noise on this machine.
 * 4. Checks every run took the fused path (`info.fused`): a change that breaks it fails loudly.
 * 5. Two copies in one process share tfjs, rxjs and Node's own functions, whose type feedback
 *    both then shape: a large change to one copy moves the other's time too (ablations that
 *    removed a third of the work moved A's own median by up to 45 %), so its ratio is reliable
 *    for small changes only. `--switch <flag>` (`flag`) compares instead one copy of the current
 *    tree with itself, `globalThis[flag]` false on A's runs and true on B's: guard the change
 *    with that flag for the measurement (one shared feedback, both versions compiled in; two
 *    identical sides measure 0.995–0.999 at 150 runs of 20,000 rows), then remove the guard.
 *
 * @example
 * const r = await compareTrees('/tmp/base', '.', 300, 2000); // r.a, r.b µs/example; r.ratio = B/A
 * const s = await compareTrees('.', '.', 150, 20000, 'LANE'); // B: globalThis.LANE = true
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { median } from './measure';
import { separableTable } from './separableTable';

/** What `compareTrees` measured. */
export interface TreeComparison {
  /** Median µs per example of tree A and of tree B. */
  readonly a: number;
  readonly b: number;
  /** Median over rounds of B's time / A's time. */
  readonly ratio: number;
  readonly runs: number;
  readonly rows: number;
}

type Library = typeof import('../src/index') & typeof import('../streams/index');

async function load(tree: string): Promise<Library> {
  const root = pathToFileURL(`${resolve(tree)}/`);
  const core = await import(new URL('src/index.ts', root).href);
  const streams = await import(new URL('streams/index.ts', root).href);
  return { ...core, ...streams } as Library;
}

/** See the file comment. */
export async function compareTrees(treeA: string, treeB: string, runs = 300, rows = 2000, flag?: string): Promise<TreeComparison> {
  const A = await load(treeA);
  // With `flag`, B is a second handle on the same copy (told apart by the flag, not by the code).
  const B = flag === undefined ? await load(treeB) : { ...A };
  const d = 100;
  const table = separableTable(rows, d, A.mulberry32(1));
  const run = async (lib: Library): Promise<number> => {
    if (flag !== undefined) (globalThis as Record<string, unknown>)[flag] = lib === B;
    const model = lib.logisticRegression(d);
    const t0 = performance.now();
    const last = await lastValueFrom(
      lib.replay(table, { batchSize: 1 }).pipe(
        lib.progressiveValidation(model, { metrics: [lib.accuracy()] }),
        lib.gradients(model.loss, model.params),
        lib.optimize(lib.sgd({ lr: 0.1 })),
        lib.applyUpdates(model.params),
      ),
    );
    const us = ((performance.now() - t0) * 1000) / rows;
    model.dispose();
    if (last.info.fused !== 1) throw new Error('compareTrees: a run did not take the fused path');
    return us;
  };
  const a: number[] = [];
  const b: number[] = [];
  const warm = 4;
  for (let i = 0; i < runs + warm; i++) {
    let x: number;
    let y: number;
    if (i % 2 === 0) {
      x = await run(A);
      y = await run(B);
    } else {
      y = await run(B);
      x = await run(A);
    }
    if (i >= warm) {
      a.push(x);
      b.push(y);
    }
  }
  return { a: median(a), b: median(b), ratio: median(b.map((v, i) => v / a[i])), runs, rows };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = args[0] === '--switch' ? args[1] : undefined;
  const [treeA, treeB, runs, rows] = flag === undefined ? args : ['.', '.', ...args.slice(2)];
  if (treeA === undefined || treeB === undefined || (args[0] === '--switch' && flag === undefined)) {
    throw new Error('usage: npx tsx bench/compareTrees.ts <treeA> <treeB> [runs] [rows]  |  --switch <flag> [runs] [rows]');
  }
  const r = await compareTrees(treeA, treeB, Number(runs ?? 300), Number(rows ?? 2000), flag);
  const sides = flag === undefined ? 'A, B: the trees' : `A: globalThis.${flag} false, B: true`;
  console.log(`online µs/example, medians of ${r.runs} alternated runs of ${r.rows} rows (${sides}): A ${r.a.toFixed(3)}  B ${r.b.toFixed(3)}; B/A ${r.ratio.toFixed(3)} (two copies of one tree: within ±3 % at 300 runs, ±1 % at 2,000; one copy switched: ±1 % at 150 runs of 20,000)`);
}
