/**
 * Cold start against warm: the airfoil pipeline (minibatches → gradients → learningRate →
 * optimize → applyUpdates, linear regression, batch 10, SGD lr 0.05, a StepResult per step)
 * through the public API (`rxgrad`, `rxgrad/streams`), in fresh Node processes.
 *
 * The child script is built once per run the way the package is (esbuild, ESM, every dependency
 * external: the library's own code from the sources), so no on-the-fly TypeScript compiler sits
 * in the timed path. Each child process:
 * 1. imports tfjs, `rxgrad`, `rxgrad/streams` and rxjs (timed: `importMs`);
 * 2. selects the backend and loads the airfoil data (timed: `setupMs`);
 * 3. builds the model, then runs the pipeline for its first `steps` steps (300 by default: two
 *    epochs), timed from building the pipeline (`minibatches(…)`, the operators, `pipe`) to the
 *    last StepResult (`coldMs`: ms/step; `firstMs`: the first step alone, `buildMs` the part of
 *    it before subscribing; `restMs`: the steps after the first, per step; by CPU time too);
 * 4. runs the same `steps` steps again `warmRuns` times in the same process, each timed alike
 *    (`warmMs`: the median ms/step of the later half).
 * The ratio cold/warm is taken per process (both figures from the same process, moments apart);
 * the medians over the processes are reported.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpuMs, median } from './measure';

/** What one fresh process measured (milliseconds; "CPU" is the process's CPU time, all threads). */
export interface ColdRun {
  /** Importing tfjs, rxgrad, rxgrad/streams and rxjs. */
  readonly importMs: number;
  /** Backend selection and the airfoil data. */
  readonly setupMs: number;
  /** The first step alone (building the pipeline and subscribing included). */
  readonly firstMs: number;
  /** The part of `firstMs` before subscribing: building the source, the operators and the pipe. */
  readonly buildMs: number;
  /** The steps after the first, per step. */
  readonly restMs: number;
  /** The first `steps` steps, per step: wall time and CPU time. */
  readonly coldMs: number;
  readonly coldCpuMs: number;
  /** The same steps once warm, per step (medians of the later half of the warm runs). */
  readonly warmMs: number;
  readonly warmCpuMs: number;
}

/** Medians over the processes, and the paired ratios cold/warm. */
export interface ColdStartFigures extends ColdRun {
  readonly processes: number;
  readonly steps: number;
  /** Median over processes of each one's coldMs / warmMs (target ≤ 3). */
  readonly ratio: number;
  /** The same by CPU time (a busy machine's preemptions cancel out of it). */
  readonly cpuRatio: number;
  readonly runs: readonly ColdRun[];
}

/**
 * The child's work (run inside a fresh process, see the file comment); prints one JSON line: a
 * `ColdRun`.
 *
 * @example
 * await coldChild('cpu', 300, 20); // prints {"importMs":…,"setupMs":…,"firstMs":…,"coldMs":…, …}
 */
export async function coldChild(backend: string, steps: number, warmRuns: number): Promise<void> {
  const t0 = performance.now();
  const tf = await import('@tensorflow/tfjs');
  const { sgd, linearRegression, useBackend } = await import('rxgrad');
  const { airfoil, minibatches, gradients, learningRate, optimize, applyUpdates } = await import('rxgrad/streams');
  const { lastValueFrom, take, tap } = await import('rxjs');
  const t1 = performance.now();
  tf.env().set('PROD', true); // no "install tfjs-node" banner in the child's output
  await useBackend(backend as Parameters<typeof useBackend>[0]);
  const data = airfoil();
  const t2 = performance.now();
  /** One run of `steps` steps on a fresh model (built outside the timed window): [ms/step, CPU ms/step, first step ms, build ms, ms/step after the first]. */
  const run = async (): Promise<[number, number, number, number, number]> => {
    const model = linearRegression(5, { seed: 1 });
    let first = 0;
    const cpu = cpuMs();
    const start = performance.now();
    const pipeline = minibatches(data, { batchSize: 10, shuffle: true, seed: 1, epochs: Math.ceil(steps / 150) }).pipe(
      gradients(model.loss, model.params),
      learningRate(0.05),
      optimize(sgd()),
      applyUpdates(model.params),
      take(steps),
      tap((r) => {
        if (r.step === 1) first = performance.now() - start;
      }),
    );
    const built = performance.now() - start;
    const last = await lastValueFrom(pipeline);
    const total = performance.now() - start;
    const cpuPerStep = (cpuMs() - cpu) / last.step;
    model.dispose();
    return [total / last.step, cpuPerStep, first, built, (total - first) / (last.step - 1)];
  };
  const [coldMs, coldCpuMs, firstMs, buildMs, restMs] = await run();
  const warm: [number, number, number, number, number][] = [];
  for (let r = 0; r < warmRuns; r++) warm.push(await run());
  const later = warm.slice(Math.floor(warmRuns / 2));
  const out: ColdRun = {
    importMs: t1 - t0,
    setupMs: t2 - t1,
    firstMs,
    buildMs,
    restMs,
    coldMs,
    coldCpuMs,
    warmMs: median(later.map((w) => w[0])),
    warmCpuMs: median(later.map((w) => w[1])),
  };
  console.log(JSON.stringify(out));
}

/**
 * Build the child script from the sources (as the package build does: ESM, code splitting,
 * dependencies external) into `dir`; returns its path. With splitting, the child's dynamic
 * imports load the library (and, through it, tfjs and rxjs) only when the child times them.
 */
async function buildChild(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const entry = `${dir}/coldStart.ts`;
  writeFileSync(
    entry,
    `import { coldChild } from ${JSON.stringify(`${root}bench/coldStart.ts`)};\nconst [b, s, w] = process.argv.slice(2);\nawait coldChild(b, Number(s), Number(w));\n`,
  );
  await build({
    entryPoints: [entry],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    alias: { rxgrad: `${root}src/index.ts`, 'rxgrad/streams': `${root}streams/index.ts` },
    outdir: dir,
    logLevel: 'error',
  });
  return `${dir}/coldStart.js`;
}

/** Run `node script args…`; its last stdout line parsed as a `ColdRun`. */
function runChild(script: string, args: readonly string[]): Promise<ColdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`cold-start child exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as ColdRun);
    });
  });
}

/**
 * Spawn `processes` fresh Node processes one after the other, each timing the pipeline's first
 * `steps` steps and then `warmRuns` warm runs of the same steps (see the file comment), on
 * `backend`. Returns the medians and the per-process ratio's median.
 *
 * @example
 * const f = await benchColdStart(5); // f.ratio: target ≤ 3
 */
export async function benchColdStart(processes = 5, steps = 300, warmRuns = 20, backend = 'cpu'): Promise<ColdStartFigures> {
  const dir = fileURLToPath(new URL(`../tmp/bench-cold-${process.pid}`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  try {
    const script = await buildChild(dir);
    const runs: ColdRun[] = [];
    for (let p = 0; p < processes; p++) runs.push(await runChild(script, [backend, String(steps), String(warmRuns)]));
    const of = (k: keyof ColdRun) => median(runs.map((r) => r[k]));
    return {
      processes,
      steps,
      importMs: of('importMs'),
      setupMs: of('setupMs'),
      firstMs: of('firstMs'),
      buildMs: of('buildMs'),
      restMs: of('restMs'),
      coldMs: of('coldMs'),
      coldCpuMs: of('coldCpuMs'),
      warmMs: of('warmMs'),
      warmCpuMs: of('warmCpuMs'),
      ratio: median(runs.map((r) => r.coldMs / r.warmMs)),
      cpuRatio: median(runs.map((r) => r.coldCpuMs / r.warmCpuMs)),
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
