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
 *
 * From a NATS JetStream stream instead (`npm run publish -- elec2` fills it): --nats URL[,URL…],
 * --stream, --subject, --durable NAME (each model its consumer NAME-<model>), --max-ack-pending N,
 * --idle S (stop once no example came for S seconds), --follow (run until Ctrl-C). Checkpoints
 * (default folder runs/nats-<durable>) are then always on and always resumed: messages are acked
 * once a checkpoint holds them. --dashboard [port]: the runs live on the dashboard as well.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, identity, Observable, takeUntil, takeWhile, timer, type MonoTypeOperatorFunction, type Subscription, type OperatorFunction } from 'rxjs';
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
  type DetectDriftState, type Checkpoint, type StepResult, type IngestCounters,
} from '../streams/index';
import { jetstream } from '../streams/nats/jetstream';
import { NATS_DEFAULTS } from '../streams/nats/publishExamples';
import { metricsServer, type MetricsServer } from '../streams/sinks/MetricsServer';
import { userToken } from '../streams/sinks/userToken';
import { wsMetrics } from '../streams/sinks/wsMetrics';
import { ingestSummary } from './web/ingestSummary';

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

/** Where `runOnline` reads a NATS JetStream stream (`jetstream`) instead of replaying the table. */
export interface NatsSource {
  /** NATS server URL(s). */
  readonly servers: readonly string[];
  /** Stream and subject (default `rxgrad`, `rxgrad.examples`). */
  readonly stream?: string;
  readonly subject?: string;
  /** The durable consumers' name: model m reads through `${durable}-${m}` (each model sees every example). */
  readonly durable: string;
  /** Features per example (default 6, Elec2's); the label is a class, 0 or 1. */
  readonly features?: number;
  /**
   * Messages a model holds unacked at most (default batch × (2 × checkpointEvery + 1): the least
   * that never stalls is batch × (checkpointEvery + 1); twice that lets the next examples arrive
   * while a checkpoint's acks are on their way).
   */
  readonly maxAckPending?: number;
  /** Stop once no example arrived for this long (default 5,000 ms); `Infinity`: never (stop with `stop`). */
  readonly idleMs?: number;
  /** The consumer's ack wait: a message unacked that long is redelivered (default `jetstream`'s, 30 s). */
  readonly ackWaitMs?: number;
}

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
  /** Replay only the first `limit` rows (from a stream: stop once the model holds `limit` examples). */
  readonly limit?: number;
  /** Train from a JetStream stream instead of the table: every model at once, checkpoints required and always resumed. */
  readonly nats?: NatsSource;
  /** Ends every run when it emits (Ctrl-C): the last checkpoint is written (and, from a stream, its messages acked). */
  readonly stop?: Observable<unknown>;
  /** Each model's results also go through this (a dashboard's `wsMetrics`). */
  readonly watch?: (model: string) => MonoTypeOperatorFunction<StepResult>;
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
  /** From a stream: each model's last source counters (acked, redelivered, duplicates, dead-lettered, consumer backlog …). */
  readonly ingest?: Readonly<Record<string, IngestCounters>>;
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
 * 4. With `nats`, the source is `jetstream` instead (consumer `${durable}-${model}`, batch
 *    `batch`, partial batches after 100 ms), every model at once. Checkpoints are required (default
 *    folder runs/nats-<durable>) and always resumed: a message is acked once a checkpoint holds
 *    its update, and the model goes on from exactly the examples acked. A run ends (last
 *    checkpoint written, its messages acked) at `limit` examples in the model, after `idleMs`
 *    without an example, or when `stop` emits. Examples/s is then taken up to the last step,
 *    and the summary adds each model's last source counters (`ingest`).
 *
 * @example
 * const s = await runOnline({ models: ['logistic'], optimizer: 'sgd', lr: 1, batch: 1, delay: 0, detector: 'adwin', checkpointEvery: 1000, resume: false, limit: 1000 });
 * const live = await runOnline({ ...options, nats: { servers: ['nats://127.0.0.1:4222'], durable: 'demo' } });
 */
export async function runOnline(o: OnlineOptions): Promise<OnlineSummary> {
  const nats = o.nats;
  const limit = o.limit === undefined ? undefined : positiveInt('limit', o.limit);
  const full = nats ? undefined : (o.table ?? elec2());
  const n = full ? Math.min(full.n, limit ?? full.n) : 0;
  const table: ExampleTable | undefined = full && { n, d: full.d, xs: full.xs.subarray(0, n * full.d), ys: full.ys.subarray(0, n) };
  const d = table ? table.d : positiveInt('features', nats!.features ?? 6);
  if (nats && o.rate !== undefined) throw new RxgradError('rate', 'no rate with a stream (the producer sets the pace: npm run publish -- --rate)', o.rate);
  const checkpointDir = o.checkpoint ?? (nats && join('runs', `nats-${nats.durable}`));
  const idleMs = nats?.idleMs === undefined ? 5000 : nats.idleMs === Infinity ? Infinity : inRange('idleMs', nats.idleMs, { min: 0, minOpen: true });
  const makeOptimizer = OPTIMIZERS[o.optimizer];
  if (!makeOptimizer) throw new RxgradError('optimizer', `one of ${Object.keys(OPTIMIZERS).join(', ')}`, o.optimizer);
  if (!(o.detector in DETECTORS)) throw new RxgradError('detector', `one of ${Object.keys(DETECTORS).join(', ')}`, o.detector);
  for (const name of o.models) if (!(name in MODELS)) throw new RxgradError('model', `one of ${Object.keys(MODELS).join(', ')}`, name);
  if (o.resume && !o.checkpoint) throw new RxgradError('resume', 'used with a checkpoint folder', o.checkpoint);
  const resuming = o.resume || nats !== undefined;
  const delay = positiveInt('delay', o.delay, 0);
  const summary: Record<string, unknown> = { examples: n };
  const drifts: Record<string, number> = {};
  const digests: Record<string, string> = {};
  const speeds: Record<string, number> = {};
  const ingestOf: Record<string, IngestCounters> = {};

  const runModel = async (i: number, name: keyof typeof MODELS): Promise<void> => {
    const model = MODELS[name](d);
    const dir = checkpointDir && join(checkpointDir, name);
    let from: Checkpoint | undefined;
    if (dir && resuming) {
      const r = resume(dir, model.params);
      o.onMessage?.(`${name}: ${r.message}`);
      from = r.checkpoint;
    }
    const metrics = [accuracy(), logLoss(), rocAuc()];
    const baselines = i === 0 ? [noChange(), majority()] : [];
    const makeDetector = DETECTORS[o.detector];
    let last: StepResult | undefined;
    const started = performance.now();
    let lastAt = started;
    const startedAt = from?.examples ?? 0;
    const steps = nats
      ? jetstream({
          servers: nats.servers,
          ...(nats.stream !== undefined && { stream: nats.stream }),
          ...(nats.subject !== undefined && { subject: nats.subject }),
          durable: `${nats.durable}-${name}`,
          features: d,
          classes: 2,
          batchSize: o.batch,
          maxWaitMs: 100,
          maxAckPending: nats.maxAckPending ?? o.batch * (2 * o.checkpointEvery + 1),
          ...(nats.ackWaitMs !== undefined && { ackWaitMs: nats.ackWaitMs }),
          ...(from && { resume: from }),
        })
      : replay(table!, { batchSize: o.batch, ...(o.rate !== undefined && { rate: o.rate }), ...(from && { resume: from }), yieldEveryMs: 100 });
    // Before `checkpoint`, so that the last checkpoint is written (and its messages acked) when a run ends.
    const ending = (results: Observable<StepResult>): Observable<StepResult> => {
      let r = results;
      if (nats && limit !== undefined) r = r.pipe(takeWhile((x) => x.examples < limit, true));
      if (nats && Number.isFinite(idleMs)) r = r.pipe(untilIdle(idleMs));
      return o.stop ? r.pipe(takeUntil(o.stop)) : r;
    };
    await new Promise<void>((resolve, reject) =>
      steps
        .pipe(
          progressiveValidation(model, { metrics, baselines, ...(delay > 0 && { delay: { examples: delay } }) }),
          makeDetector ? detectDrift(makeDetector()) : identity,
          gradients(model.loss, model.params),
          optimize(makeOptimizer({ lr: o.lr })),
          applyUpdates(model.params),
          ending,
          dir ? checkpoint({ dir, params: model.params, everySteps: o.checkpointEvery }) : (identity as OperatorFunction<StepResult, StepResult>),
          o.watch ? o.watch(name) : identity,
        )
        .subscribe({
          next: (r) => {
            last = r;
            lastAt = performance.now();
            // From a stream, the total is what the model holds plus the consumer's backlog.
            o.onProgress?.(name, r.examples, nats ? r.examples + (r.online?.ingest?.consumerPending ?? 0) : n, startedAt);
          },
          error: reject,
          complete: resolve,
        }),
    );
    const seconds = ((nats ? lastAt : performance.now()) - started) / 1000;
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
    if (nats) {
      summary.examples = Math.max(summary.examples as number, last?.examples ?? startedAt);
      if (last?.online?.ingest) ingestOf[name] = last.online.ingest;
    }
    model.dispose();
  };
  if (nats) await Promise.all(o.models.map((name, i) => runModel(i, name)));
  else for (const [i, name] of o.models.entries()) await runModel(i, name);
  return { ...summary, drifts, paramsDigest: digests, examplesPerSecond: speeds, ...(nats && { ingest: ingestOf }) } as OnlineSummary;
}

/**
 * Pass values on, and complete once `ms` pass without one (from the subscription on): a
 * stream gone quiet. It completes downstream before it unsubscribes upstream, so a
 * `checkpoint` after it writes (and a durable source acks) while the source is still there.
 *
 * @example
 * jetstream(options).pipe(…, applyUpdates(params), untilIdle(5000), checkpoint({ dir, params, everySteps: 100 }));
 */
export function untilIdle<T>(ms: number): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let quiet: Subscription | undefined;
      const wait = () => {
        quiet?.unsubscribe();
        quiet = timer(ms).subscribe(() => subscriber.complete());
      };
      wait();
      const sub = source.subscribe({
        next: (v) => {
          subscriber.next(v);
          wait();
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        quiet?.unsubscribe();
        sub.unsubscribe();
      };
    });
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
    .option('--nats <urls>', 'train from this NATS JetStream server (URLs comma-separated) instead of the replay')
    .option('--stream <name>', 'the stream (with --nats)', NATS_DEFAULTS.stream)
    .option('--subject <subject>', 'the examples\' subject (with --nats)', NATS_DEFAULTS.subject)
    .option('--durable <name>', 'durable consumer name (each model reads through <name>-<model>)', 'rxgrad-online')
    .option('--features <n>', 'features per example (with --nats)', '6')
    .option('--max-ack-pending <n>', 'messages a model holds unacked at most (default: batch × (2 × checkpoint-every + 1))')
    .option('--idle <seconds>', 'with --nats: stop once no example came for this long', '5')
    .option('--follow', 'with --nats: keep training as examples arrive, until Ctrl-C')
    .option('--dashboard [port]', 'show the runs live on the dashboard (default port: any free one)')
    .parse();
  const a = program.opts<Record<string, string | boolean | undefined>>();
  const models = String(a.model).split(',') as (keyof typeof MODELS)[];
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  await useBackend(String(a.backend) as BackendName);
  silenceTfjsBanner();
  const bars = !a.json && process.stdout.isTTY ? new cliProgress.MultiBar({ format: '{model} {bar} {percentage}% | {value}/{total} examples | {speed} examples/s', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  const bar = new Map<string, { bar: cliProgress.SingleBar; started: number; shown: number }>();
  // Ctrl-C ends every run: its last checkpoint is written and, from a stream, its messages acked.
  let stopping = false;
  const interrupted = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  void interrupted.then(() => (stopping = true));
  const nats: NatsSource | undefined =
    typeof a.nats === 'string'
      ? {
          servers: a.nats.split(','),
          stream: String(a.stream),
          subject: String(a.subject),
          durable: String(a.durable),
          features: positiveInt('features', num(a.features)),
          ...(a.maxAckPending !== undefined && { maxAckPending: positiveInt('max-ack-pending', num(a.maxAckPending)) }),
          idleMs: a.follow ? Infinity : inRange('idle', num(a.idle), { min: 0, minOpen: true }) * 1000,
        }
      : undefined;
  let server: MetricsServer | undefined;
  if (a.dashboard !== undefined) {
    const port = a.dashboard === true ? 0 : positiveInt('dashboard', num(a.dashboard), 0);
    // The page's bundler (esbuild) loads only for a dashboard.
    const { buildWeb } = await import('./buildWeb');
    server = await metricsServer({ port, staticDir: await buildWeb(), token: userToken() });
    console.error(`rxgrad dashboard: ${server.url}`);
  }
  const source = nats ? `NATS stream ${nats.stream} (consumer ${nats.durable}-<model>)` : 'Elec2 replayed in time order';
  const heading = (examples: string) => (nats ? `${source}: ${examples} examples` : `Elec2, ${examples} examples in time order`);
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
    ...(nats && { nats }),
    stop: from(interrupted),
    ...(server && {
      watch: (model: string) =>
        wsMetrics(server.run({ id: `online-${model}`, name: `${model}, ${source}`, group: 'online', config: { model, optimizer: String(a.optimizer), lr: Number(a.lr), batchSize: Number(a.batch), data: source } })),
    }),
    onMessage: (line) => console.error(line),
    onProgress: bars
      ? (model, examples, total, startedAt) => {
          let b = bar.get(model);
          if (!b) bar.set(model, (b = { bar: bars.create(total, examples, { model: model.padEnd(9), speed: '…' }), started: performance.now(), shown: 0 }));
          const now = performance.now();
          if (now - b.shown < 100 && examples !== total) return;
          b.shown = now;
          b.bar.setTotal(total);
          b.bar.update(examples, { speed: Math.round((examples - startedAt) / Math.max((now - b.started) / 1000, 1e-3)).toLocaleString('en-US') });
        }
      : undefined,
  };
  const summary = await runOnline(options);
  bars?.stop();
  if (a.json) {
    console.log(JSON.stringify(summary));
  } else {
    const o = options;
    console.log(
      `${heading(summary.examples.toLocaleString('en-US'))}, test-then-train: ${o.optimizer} lr ${o.lr}, batch ${o.batch}` +
        `${o.delay ? `, labels ${o.delay} examples late` : ''}, drift detector ${o.detector}`,
    );
    console.log(formatTable(summary, models));
    for (const [model, c] of Object.entries(summary.ingest ?? {})) console.log(`${model}, at its last step: ${ingestSummary(c).durable ?? ingestSummary(c).text}`);
  }
  if (server && !stopping) {
    console.error(`the dashboard stays at ${server.url}: Ctrl-C stops it`);
    await interrupted;
  }
  await server?.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // A bad flag or file is a message and exit code 1, not a stack trace.
  await main().catch((err: unknown) => {
    console.error(err instanceof RxgradError ? `online: ${err.message}` : err);
    process.exit(1);
  });
}
