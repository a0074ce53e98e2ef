/**
 * `npm run online`: the Elec2 stream replayed in time order through online models,
 * test-then-train, with the no-change and majority baselines beside them, a drift detector
 * watching each model's errors, optional crash-proof checkpoints, and a final table (or, with
 * `--json`, one JSON object as the last line).
 *
 * Options: --model logistic,mlp (any of logistic, softmax, mlp), --optimizer sgd, --lr 1,
 * --batch 1, --rate N (examples/s; default as fast as possible), --delay N (labels N examples
 * late), --detector adwin|pageHinkley|ddm|none, --checkpoint DIR, --checkpoint-every N (steps),
 * --resume, --limit N (the first N rows only), --json, --backend cpu|wasm|tensorflow|auto (default cpu).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { identity, type OperatorFunction } from 'rxjs';
import { Command } from 'commander';
import { silenceTfjsBanner } from './silenceTfjsBanner';
import cliProgress from 'cli-progress';
import {
  RxgradError, useBackend, positiveInt, inRange, logisticRegression, softmaxRegression, mlp, accuracy, logLoss, rocAuc, noChange, majority,
  adwin, pageHinkley, ddm, Evaluation, named, sgd, adam, adagrad, rmsprop, adamw, adamax, nadam, radam, adadelta,
  type BackendName, type Params, type Transform, type Model, type DriftDetector, type EvaluationState, type ExampleTable,
} from '../src/index';
import {
  elec2, replay, progressiveValidation, detectDrift, gradients, optimize, applyUpdates, checkpoint, resume,
  type DetectDriftState, type Checkpoint, type StepResult,
} from '../streams/index';

/** The models `--model` names. */
export const MODELS = {
  logistic: (d: number): Model => logisticRegression(d),
  softmax: (d: number): Model => softmaxRegression(d, 2),
  mlp: (d: number): Model => mlp([d, 16, 1], { activation: 'tanh', output: 'sigmoid', seed: 1 }),
} as const;

/** The optimizers `--optimizer` names (each given `{ lr }`). */
export const OPTIMIZERS: Record<string, (o: { lr: number }) => Transform<unknown>> = { sgd, adam, adagrad, rmsprop, adamw, adamax, nadam, radam, adadelta };

/** The detectors `--detector` names, with River's defaults. */
export const DETECTORS: Record<string, (() => DriftDetector<unknown>) | undefined> = { adwin, pageHinkley, ddm, none: undefined };

/** What `runOnline` is asked to do. */
export interface OnlineOptions {
  readonly models: readonly (keyof typeof MODELS)[];
  readonly optimizer: string;
  readonly lr: number;
  readonly batch: number;
  /** Examples per second (undefined: as fast as possible). */
  readonly rate?: number;
  /** Labels this many examples late (0: at once). */
  readonly delay: number;
  readonly detector: string;
  /** Checkpoint folder (each model in its own sub-folder), every `checkpointEvery` steps. */
  readonly checkpoint?: string;
  readonly checkpointEvery: number;
  /** Continue from the newest valid checkpoints. */
  readonly resume: boolean;
  /** Replay only the first `limit` rows. */
  readonly limit?: number;
  /** The table (default: Elec2). */
  readonly table?: ExampleTable;
  /** Called as a model's run progresses: (model, examples seen, total). */
  readonly onProgress?: (model: string, examples: number, total: number, started: number) => void;
  /** Called with each model's resume message. */
  readonly onMessage?: (line: string) => void;
}

/** Accuracy, log loss and ROC AUC of a model or baseline. */
export interface Figures {
  readonly accuracy: number;
  readonly logLoss: number;
  readonly rocAuc: number;
}

/** What `runOnline` measured: the `--json` object. */
export interface OnlineSummary {
  readonly examples: number;
  /** Figures by model and baseline name (`logistic`, `mlp`, `noChange`, `majority`). */
  readonly [name: string]: unknown;
  readonly drifts: Readonly<Record<string, number>>;
  readonly paramsDigest: Readonly<Record<string, string>>;
  readonly examplesPerSecond: Readonly<Record<string, number>>;
}

/**
 * SHA-256 (hex) of a model's parameters: their float32 bytes, parameters in name order.
 *
 * @example
 * paramsDigest(logisticRegression(6).params); // 'f0…' for 7 zeros
 */
export function paramsDigest(params: Params): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(params).sort()) {
    const v = params[name].dataSync() as Float32Array;
    hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return hash.digest('hex');
}

const figures = (m: Readonly<Record<string, number>> | undefined): Figures => ({ accuracy: m?.accuracy ?? NaN, logLoss: m?.logLoss ?? NaN, rocAuc: m?.rocAuc ?? NaN });

/**
 * Replay the table through each model in turn (test-then-train), the baselines beside the
 * first, and return the final figures.
 *
 * 1. Each model: `replay` (batch `batch`, optional `rate`) → `progressiveValidation` (accuracy,
 *    log loss, ROC AUC; noChange and majority beside the first model; labels `delay` examples
 *    late) → `detectDrift` (mark only) → `gradients` → `optimize` → `applyUpdates` →
 *    `checkpoint` (with `checkpoint`: into DIR/<model>, every `checkpointEvery` steps and at the end).
 * 2. With `resume`, each model continues from its newest valid checkpoint; one that had finished
 *    reports the figures saved in it.
 * 3. Examples/s is the examples this run processed over its wall time, per model.
 *
 * @example
 * const s = await runOnline({ models: ['logistic'], optimizer: 'sgd', lr: 1, batch: 1, delay: 0, detector: 'adwin', checkpointEvery: 1000, resume: false, limit: 1000 });
 */
export async function runOnline(o: OnlineOptions): Promise<OnlineSummary> {
  const full = o.table ?? elec2();
  const n = o.limit === undefined ? full.n : Math.min(full.n, positiveInt('limit', o.limit));
  const table: ExampleTable = { n, d: full.d, xs: full.xs.subarray(0, n * full.d), ys: full.ys.subarray(0, n) };
  const makeOptimizer = OPTIMIZERS[o.optimizer];
  if (!makeOptimizer) throw new RxgradError('optimizer', `one of ${Object.keys(OPTIMIZERS).join(', ')}`, o.optimizer);
  if (!(o.detector in DETECTORS)) throw new RxgradError('detector', `one of ${Object.keys(DETECTORS).join(', ')}`, o.detector);
  for (const name of o.models) if (!(name in MODELS)) throw new RxgradError('model', `one of ${Object.keys(MODELS).join(', ')}`, name);
  if (o.resume && !o.checkpoint) throw new RxgradError('resume', 'used with a checkpoint folder', o.checkpoint);
  const delay = positiveInt('delay', o.delay, 0);
  const summary: Record<string, unknown> = { examples: n };
  const drifts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  const speeds: Record<string, number> = {};

  for (const [i, name] of o.models.entries()) {
    const model = MODELS[name](table.d);
    const dir = o.checkpoint && join(o.checkpoint, name);
    let from: Checkpoint | undefined;
    if (dir && o.resume) {
      const r = resume(dir, model.params);
      o.onMessage?.(`${name}: ${r.message}`);
      from = r.checkpoint;
    }
    const metrics = [accuracy(), logLoss(), rocAuc()];
    const baselines = i === 0 ? [noChange(), majority()] : [];
    const makeDetector = DETECTORS[o.detector];
    let last: StepResult | undefined;
    const started = performance.now();
    const startedAt = from?.examples ?? 0;
    await new Promise<void>((resolve, reject) =>
      replay(table, { batchSize: o.batch, ...(o.rate !== undefined && { rate: o.rate }), ...(from && { resume: from }), yieldEveryMs: 100 })
        .pipe(
          progressiveValidation(model, { metrics, baselines, ...(delay > 0 && { delay: { examples: delay } }) }),
          makeDetector ? detectDrift(makeDetector()) : identity,
          gradients(model.loss, model.params),
          optimize(makeOptimizer({ lr: o.lr })),
          applyUpdates(model.params),
          dir ? checkpoint({ dir, params: model.params, everySteps: o.checkpointEvery }) : (identity as OperatorFunction<StepResult, StepResult>),
        )
        .subscribe({
          next: (r) => {
            last = r;
            o.onProgress?.(name, r.examples, n, startedAt);
          },
          error: reject,
          complete: resolve,
        }),
    );
    const seconds = (performance.now() - started) / 1000;
    let online = last?.online;
    if (!online && from) {
      // A run that had finished: its figures are those saved with its last step.
      const saved = from.state.evaluation as { evaluation: EvaluationState };
      const report = new Evaluation(model.task, model.outputs, named('metrics', metrics), named('baselines', baselines), saved.evaluation).report();
      online = { metrics: report.metrics, baselines: report.baselines, drifts: (from.state.drift as DetectDriftState | undefined)?.drifts ?? 0 };
    }
    summary[name] = figures(online?.metrics);
    for (const b of baselines) summary[b.name] = figures(online?.baselines?.[b.name]);
    drifts[name] = online?.drifts ?? 0;
    digests[name] = paramsDigest(model.params);
    speeds[name] = ((last?.examples ?? startedAt) - startedAt) / seconds;
    model.dispose();
  }
  return { ...summary, drifts, paramsDigest: digests, examplesPerSecond: speeds } as OnlineSummary;
}

/**
 * The final table: one row per model and baseline (accuracy, log loss, ROC AUC, drifts, examples/s).
 *
 * @example
 * console.log(formatTable(await runOnline(options), options.models));
 */
export function formatTable(s: OnlineSummary, names: readonly string[]): string {
  const pct = (v: number) => (Number.isNaN(v) ? '—' : `${(100 * v).toFixed(2)} %`);
  const rows = [`${''.padEnd(10)}${'accuracy'.padStart(10)}${'log loss'.padStart(10)}${'ROC AUC'.padStart(10)}${'drifts'.padStart(8)}${'examples/s'.padStart(12)}`];
  for (const name of [...names, 'noChange', 'majority']) {
    const f = s[name] as Figures | undefined;
    if (!f) continue;
    const drifts = s.drifts[name] === undefined ? '' : String(s.drifts[name]);
    const speed = s.examplesPerSecond[name] === undefined ? '' : Math.round(s.examplesPerSecond[name]).toLocaleString('en-US');
    rows.push(`${name.padEnd(10)}${pct(f.accuracy).padStart(10)}${f.logLoss.toFixed(4).padStart(10)}${f.rocAuc.toFixed(4).padStart(10)}${drifts.padStart(8)}${speed.padStart(12)}`);
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('online')
    .description('Replay Elec2 in time order through online models, test-then-train, beside the no-change and majority baselines')
    .option('--model <names>', 'models, comma-separated: logistic, softmax, mlp', 'logistic,mlp')
    .option('--optimizer <name>', `optimizer: ${Object.keys(OPTIMIZERS).join(', ')}`, 'sgd')
    .option('--lr <number>', 'learning rate', '1')
    .option('--batch <n>', 'examples per step', '1')
    .option('--rate <n>', 'examples per second (default: as fast as possible)')
    .option('--delay <n>', 'labels arrive this many examples late', '0')
    .option('--detector <name>', 'drift detector: adwin, pageHinkley, ddm or none', 'adwin')
    .option('--checkpoint <dir>', 'write checkpoints into this folder')
    .option('--checkpoint-every <n>', 'steps between checkpoints', '1000')
    .option('--resume', 'continue from the newest valid checkpoint in --checkpoint')
    .option('--limit <n>', 'replay only the first n rows')
    .option('--json', 'print one JSON object as the last line')
    .option('--backend <name>', 'tfjs backend: cpu, wasm, tensorflow or auto', 'cpu')
    .parse();
  const a = program.opts<Record<string, string | boolean | undefined>>();
  const models = String(a.model).split(',') as (keyof typeof MODELS)[];
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  await useBackend(String(a.backend) as BackendName);
  silenceTfjsBanner();
  const bars = !a.json && process.stdout.isTTY;
  let bar: cliProgress.SingleBar | undefined;
  let barModel = '';
  let barStarted = 0;
  const options: OnlineOptions = {
    models,
    optimizer: String(a.optimizer),
    lr: inRange('lr', num(a.lr), { min: 0, minOpen: true }),
    batch: positiveInt('batch', num(a.batch)),
    ...(a.rate !== undefined && { rate: inRange('rate', num(a.rate), { min: 0, minOpen: true }) }),
    delay: positiveInt('delay', num(a.delay), 0),
    detector: String(a.detector),
    ...(typeof a.checkpoint === 'string' && { checkpoint: a.checkpoint }),
    checkpointEvery: positiveInt('checkpoint-every', num(a.checkpointEvery)),
    resume: a.resume === true,
    ...(a.limit !== undefined && { limit: positiveInt('limit', num(a.limit)) }),
    onMessage: (line) => console.error(line),
    onProgress: bars
      ? (model, examples, total, startedAt) => {
          if (model !== barModel) {
            bar?.stop();
            barModel = model;
            bar = new cliProgress.SingleBar({ format: `${model.padEnd(9)} {bar} {percentage}% | {value}/{total} examples | {speed} examples/s`, hideCursor: true }, cliProgress.Presets.shades_classic);
            bar.start(total, examples, { speed: '…' });
            barStarted = performance.now();
          }
          if (examples % 250 === 0 || examples === total) {
            const elapsed = (performance.now() - barStarted) / 1000;
            bar!.update(examples, { speed: Math.round((examples - startedAt) / Math.max(elapsed, 1e-3)).toLocaleString('en-US') });
          }
        }
      : undefined,
  };
  const summary = await runOnline(options);
  bar?.stop();
  if (a.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const o = options;
  console.log(
    `Elec2, ${summary.examples.toLocaleString('en-US')} examples in time order, test-then-train: ${o.optimizer} lr ${o.lr}, batch ${o.batch}` +
      `${o.delay ? `, labels ${o.delay} examples late` : ''}, drift detector ${o.detector}`,
  );
  console.log(formatTable(summary, models));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // A bad flag or file is a message and exit code 1, not a stack trace.
  await main().catch((err: unknown) => {
    console.error(err instanceof RxgradError ? `online: ${err.message}` : err);
    process.exit(1);
  });
}
