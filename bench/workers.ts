/**
 * `npm run bench:workers`: data-parallel training on NATS JetStream (`gradientWorker` ×
 * `gradientUpdater`) against one trainer, on Elec2 — test-then-train accuracy and examples/s —
 * printed as a Markdown table (the README's "Several trainers" table), then one JSON line.
 *
 * 1. Starts a nats-server (or uses `--servers`) and publishes Elec2 once (45,312 examples).
 * 2. Rows, each run `--runs` times (medians; configurations interleaved run by run):
 *    - `replay`: one process, no NATS — `replay → progressiveValidation → gradients → optimize →
 *      applyUpdates` (the ceiling of one core);
 *    - `jetstream`: one trainer on a durable consumer (`jetstream()`, ack after a checkpoint every
 *      64 steps), the single-trainer NATS path;
 *    - `workers × W` for each W of `--workers`: W worker processes (child_process.fork) on one
 *      fresh shared consumer, the updater (`gradientUpdater → optimize → applyUpdates`) in this
 *      process. The clock starts when every worker has loaded and is told to go, and stops when
 *      the updater has accounted for every example.
 * 3. Every row: logistic regression on the 6 features (or, with `--hidden 256,256`, an MLP), SGD (`--lr`, default 1), micro-batches of
 *    `--batch` (default 16, which divides 45,312: no partial batch waits for a fetch to expire),
 *    staleness bound k = `--k` (default 8, `--mode drop|downweight`).
 * 4. Columns: accuracy (test-then-train, %), examples/s, gradients dropped as stale (% of
 *    examples), mean staleness of the applied gradients, and CPU seconds of the trainer/updater
 *    process, of the workers (sum) and of nats-server during the run.
 *
 * Options: --runs N (3), --workers 1,2,4, --batch, --lr, --k, --mode, --in-flight N, --prefetch N, --servers URL,
 * --limit N rows, --hidden widths.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { lastValueFrom, takeWhile, tap } from 'rxjs';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';
import { accuracy } from '../src/metrics/accuracy';
import { buildModel } from './workerProcess';
import { sgd } from '../src/optimizers/sgd';
import type { GateCounts } from '../src/parallel/GradientGate';
import { gradientUpdater } from '../streams/nats/gradientUpdater';
import type { WorkerReport } from '../streams/nats/gradientWorker';
import { jetstream } from '../streams/nats/jetstream';
import { publishExamples } from '../streams/nats/publishExamples';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { checkpoint } from '../streams/operators/checkpoint';
import { gradients } from '../streams/operators/gradients';
import { optimize } from '../streams/operators/optimize';
import { progressiveValidation } from '../streams/operators/progressiveValidation';
import { scopeOf } from '../streams/RunScope';
import type { StepResult } from '../streams/Step';
import { elec2 } from '../streams/sources/elec2';
import { replay } from '../streams/sources/replay';
import { startNatsServer, type NatsServer } from '../test/nats/natsServer';
import { median } from './measure';

const program = new Command()
  .option('--runs <n>', 'runs per row (medians)', '3')
  .option('--workers <list>', 'worker counts', '1,2,4')
  .option('--batch <n>', 'examples per gradient', '16')
  .option('--lr <x>', 'SGD learning rate', '1')
  .option('--k <n>', 'staleness bound', '8')
  .option('--mode <m>', 'drop | downweight', 'drop')
  .option('--in-flight <n>', "each worker's unanswered gradients at most", '1')
  .option('--prefetch <n>', 'messages per pull request (default 4 × batch)')
  .option('--servers <url>', 'a running nats-server (default: start one)')
  .option('--limit <n>', 'Elec2 rows (default all)')
  .option('--hidden <list>', "an MLP's hidden widths (tanh, sigmoid output) instead of logistic regression, e.g. 256,256")
  .parse();
const o = program.opts();
const runs = Number(o.runs);
const workerCounts = String(o.workers).split(',').map(Number);
const batchSize = Number(o.batch);
const lr = Number(o.lr);
const k = Number(o.k);
const mode = o.mode as 'drop' | 'downweight';
const inFlight = Number(o.inFlight);
const prefetch = o.prefetch === undefined ? 4 * batchSize : Number(o.prefetch);
const hidden: number[] = o.hidden ? String(o.hidden).split(',').map(Number) : [];

/** One run's figures. */
interface Run {
  readonly accuracy: number;
  readonly perSecond: number;
  readonly staleShare: number;
  readonly meanStaleness: number;
  readonly cpu: { readonly trainer: number; readonly workers: number; readonly nats: number };
}

/** CPU seconds a process has used so far (utime + stime from /proc), or NaN. */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  silenceTfjsBanner();
  const full = elec2();
  const n = o.limit ? Number(o.limit) : full.n;
  const table = { n, d: full.d, xs: full.xs.subarray(0, n * full.d), ys: full.ys.subarray(0, n) };
  let server: NatsServer | undefined;
  const servers: string = o.servers ?? (server = await startNatsServer()).url;
  const dir = mkdtempSync(join(tmpdir(), 'rxgrad-bench-workers-'));
  const t0 = performance.now();
  await publishExamples({ servers, examples: table, idPrefix: `bench-${Date.now()}` });
  console.error(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; published ${n} examples in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  /** Time a run: wall clock from `start` to the end, CPU of this process and of nats-server. */
  const clocked = async <T>(fn: (start: () => void) => Promise<T>) => {
    let w0 = performance.now();
    let c0 = process.cpuUsage();
    let s0 = processCpu(server?.pid);
    const value = await fn(() => {
      w0 = performance.now();
      c0 = process.cpuUsage();
      s0 = processCpu(server?.pid);
    });
    const c = process.cpuUsage(c0);
    return { value, seconds: (performance.now() - w0) / 1000, trainer: (c.user + c.system) / 1e6, nats: processCpu(server?.pid) - s0 };
  };

  const replayRun = async (): Promise<Run> => {
    const model = buildModel(hidden);
    const r = await clocked(async () =>
      lastValueFrom(
        replay(table, { batchSize }).pipe(progressiveValidation(model, { metrics: [accuracy()] }), gradients(model.loss, model.params), optimize(sgd({ lr })), applyUpdates(model.params)),
      ),
    );
    model.dispose();
    return { accuracy: r.value.online!.metrics!.accuracy, perSecond: n / r.seconds, staleShare: 0, meanStaleness: 0, cpu: { trainer: r.trainer, workers: 0, nats: 0 } };
  };

  let serial = 0;
  const jetstreamRun = async (): Promise<Run> => {
    const model = buildModel(hidden);
    const ckpt = join(dir, `single-${++serial}`);
    const r = await clocked(async () =>
      lastValueFrom(
        jetstream({ servers, durable: `single-${serial}`, features: 6, classes: 2, batchSize, maxAckPending: 4096, deadLetter: false }).pipe(
          progressiveValidation(model, { metrics: [accuracy()] }),
          gradients(model.loss, model.params),
          optimize(sgd({ lr })),
          applyUpdates(model.params),
          takeWhile((s) => s.examples < n, true),
          checkpoint({ dir: ckpt, params: model.params, everySteps: 64 }),
        ),
      ),
    );
    model.dispose();
    return { accuracy: r.value.online!.metrics!.accuracy, perSecond: n / r.seconds, staleShare: 0, meanStaleness: 0, cpu: { trainer: r.trainer, workers: 0, nats: r.nats } };
  };

  const workersRun = async (count: number): Promise<Run> => {
    const id = `w${count}-${++serial}`;
    const options = { servers, consumer: id, updater: `bench.${id}`, batchSize, inFlight, prefetch, deadLetter: false, maxAckPending: 4096, hidden };
    const children: ChildProcess[] = [];
    const done: Promise<{ report: WorkerReport; cpuMs: number }>[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const child = fork(fileURLToPath(new URL('./workerProcess.ts', import.meta.url)), [JSON.stringify({ ...options, name: `${id}-${i}` })], { execArgv: ['--import', 'tsx', ...(process.env.WORKER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WORKER_PROF}`] : [])] });
      children.push(child);
      ready.push(new Promise((resolve) => child.once('message', () => resolve())));
      done.push(
        new Promise((resolve, reject) => {
          child.on('message', (m: { type: string; report: WorkerReport; cpuMs: number }) => m.type === 'done' && resolve(m));
          child.once('exit', (code) => code !== 0 && reject(new Error(`worker ${i} exited with ${code}`)));
        }),
      );
    }
    await Promise.all(ready);
    const model = buildModel(hidden);
    let staleness = 0;
    let steps = 0;
    let last: StepResult | undefined;
    const r = await clocked(async (start) => {
      const updater = gradientUpdater({ servers, updater: options.updater, params: model.params, staleness: { maxStaleness: k, mode }, examples: n }).pipe(
        optimize(sgd({ lr })),
        applyUpdates(model.params),
        tap((s) => {
          staleness += s.info.staleness;
          steps++;
          last = s;
        }),
      );
      const finished = lastValueFrom(updater);
      start();
      for (const c of children) c.send('go');
      return finished;
    });
    const reports = await Promise.all(done);
    const gate = (scopeOf(last!)!.save().source as { gate: GateCounts }).gate;
    model.dispose();
    return {
      accuracy: gate.correct / gate.predicted,
      perSecond: n / r.seconds,
      staleShare: gate.staleExamples / n,
      meanStaleness: staleness / steps,
      cpu: { trainer: r.trainer, workers: reports.reduce((s, w) => s + w.cpuMs / 1000, 0), nats: r.nats },
    };
  };

  const rows: Record<string, () => Promise<Run>> = { replay: replayRun, jetstream: jetstreamRun };
  for (const w of workerCounts) rows[`workers × ${w}`] = () => workersRun(w);
  const results: Record<string, Run[]> = Object.fromEntries(Object.keys(rows).map((name) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(rows)) {
      results[name].push(await rows[name]());
      console.error(`run ${i + 1}/${runs} ${name}: ${JSON.stringify(results[name].at(-1))}`);
    }
  }

  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  const fmt = (x: number, digits: number) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  console.log(`Elec2 (${n.toLocaleString('en-US')} examples), ${hidden.length ? `MLP 6-${hidden.join('-')}-1 (tanh)` : 'logistic regression'}, SGD lr ${lr}, batch ${batchSize}, k = ${k} (${mode}), ${inFlight} gradient${inFlight > 1 ? 's' : ''} in flight per worker, ${prefetch} messages per pull; medians of ${runs} runs; load average at the end ${load} on ${availableParallelism()} cores`);
  console.log('');
  console.log('| trainer | accuracy | examples/s | dropped as stale | mean staleness | CPU s: trainer/updater | workers | nats-server |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const summary: Record<string, Record<string, number>> = {};
  for (const [name, rs] of Object.entries(results)) {
    const m = (f: (r: Run) => number) => median(rs.map(f));
    const s = { accuracy: m((r) => r.accuracy), perSecond: m((r) => r.perSecond), staleShare: m((r) => r.staleShare), meanStaleness: m((r) => r.meanStaleness), trainerCpu: m((r) => r.cpu.trainer), workersCpu: m((r) => r.cpu.workers), natsCpu: m((r) => r.cpu.nats) };
    summary[name] = s;
    console.log(
      `| ${name} | ${fmt(100 * s.accuracy, 2)} % | ${fmt(s.perSecond, 0)} | ${fmt(100 * s.staleShare, 1)} % | ${fmt(s.meanStaleness, 2)} | ${fmt(s.trainerCpu, 1)} | ${name.startsWith('workers') ? fmt(s.workersCpu, 1) : ''} | ${Number.isNaN(s.natsCpu) || name === 'replay' ? '' : fmt(s.natsCpu, 1)} |`,
    );
  }
  console.log(JSON.stringify({ examples: n, hidden, batchSize, inFlight, lr, k, mode, runs, rows: summary }));
  rmSync(dir, { recursive: true, force: true });
  await server?.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
