/**
 * `npm run publish -- <source>`: publish Elec2 (`elec2`) or a CSV / NDJSON file to a NATS
 * JetStream stream, one example per message, for `jetstream()` trainers (`npm run online -- --nats …`).
 *
 * Options: --servers URL[,URL…] (default nats://127.0.0.1:4222), --stream rxgrad,
 * --subject rxgrad.examples, --rate N (examples/s; default as fast as acks come), --limit N (the
 * first N examples only), --in-flight N (default 256), --id-prefix P (default `elec2` or the
 * file's name), --format csv|ndjson (default from the file's extension). A progress bar on a
 * terminal; the last line of stdout is one JSON object (`published`, `duplicates`, …).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { RxgradError, shown } from '../src/RxgradError';
import { checkExample } from '../src/online/checkExample';
import type { ExampleMessage } from '../src/online/exampleMessage';
import { lineParser } from '../src/online/lineParser';
import { inRange, positiveInt } from '../src/validate';
import { loadNats } from '../streams/nats/loadNats';
import { natsConnect, natsServers } from '../streams/nats/natsConnect';
import { isNotFound, NATS_DEFAULTS, publishExamples, streamNames } from '../streams/nats/publishExamples';
import { elec2 } from '../streams/sources/elec2';
import { short } from './produce';

/** Options of `publish`. */
export interface PublishCliOptions {
  /** `elec2`, or the path of a CSV or NDJSON file (optionally gzip-compressed, `.gz`). */
  readonly source: string;
  /** NATS server URL(s). */
  readonly servers: string | readonly string[];
  /** Stream and subject (default `rxgrad`, `rxgrad.examples`). */
  readonly stream?: string;
  readonly subject?: string;
  /** Examples per second at most (default: as fast as the stream acks). */
  readonly rate?: number;
  /** Publish only the source's first `limit` examples. */
  readonly limit?: number;
  /** Publishes awaiting their ack at most (default 256). */
  readonly inFlight?: number;
  /** Message ids are `${idPrefix}-${index}` (default `elec2`, or the file's name without extensions). */
  readonly idPrefix?: string;
  /** The file's format (default: `csv` for `.csv`, else `ndjson`). */
  readonly format?: 'csv' | 'ndjson';
  /** Called once with the examples to go, then with each example handed to the client. */
  readonly onStart?: (total: number, from: number) => void;
  readonly onSent?: (sent: number) => void;
  /** Called with each line of the file rejected as bad input (its number and reason). */
  readonly onReject?: (line: number, reason: string) => void;
}

/** What `publish` did: the CLI's last line. */
export interface PublishReport {
  readonly source: string;
  readonly idPrefix: string;
  /** Examples the source holds (after `limit`). */
  readonly examples: number;
  /** Examples stored in the stream by this run. */
  readonly published: number;
  /** Examples the stream already had: skipped because its newest ids show them, or refused as duplicate message ids. */
  readonly duplicates: number;
  /** The index this run started publishing from (examples before it were already in the stream). */
  readonly from: number;
  /** Lines of a file that are not examples (not published), and the last reason. */
  readonly rejected: number;
  readonly lastReason?: string;
  readonly seconds: number;
  /** Examples handed to the stream per second of this run (published and duplicates). */
  readonly examplesPerSecond: number;
}

/** A source's examples in order, and the lines rejected while reading it. */
interface SourceExamples {
  readonly examples: readonly ExampleMessage[];
  readonly rejected: number;
  readonly lastReason?: string;
}

/**
 * The examples of `elec2` or of a CSV / NDJSON file, in order.
 *
 * 1. `elec2`: Elec2's rows, features in their shortest exact float32 decimal form.
 * 2. A file (`.gz`: gunzipped first) is read line by line with the sources' parser (`lineParser`:
 *    a CSV header names the columns, the last being the label) and each example checked
 *    (`checkExample`); a bad line is rejected — `onReject(line, reason)`, counted — not published.
 * 3. At most `limit` examples.
 */
function readSource(source: string, o: Pick<PublishCliOptions, 'format' | 'limit' | 'onReject'>): SourceExamples {
  const limit = o.limit ?? Infinity;
  if (source === 'elec2') {
    const t = elec2();
    const n = Math.min(t.n, limit);
    const examples = Array.from({ length: n }, (_, i) => ({ x: Array.from(t.xs.subarray(i * t.d, (i + 1) * t.d), short), y: t.ys[i] }));
    return { examples, rejected: 0 };
  }
  const format = o.format ?? (/\.csv(\.gz)?$/i.test(source) ? 'csv' : 'ndjson');
  const bytes = readFileSync(source);
  const lines = (source.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8').split('\n');
  const parse = lineParser({ format });
  const examples: ExampleMessage[] = [];
  let rejected = 0;
  let lastReason: string | undefined;
  for (let i = 0; i < lines.length && examples.length < limit; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') continue;
    try {
      const e = parse(line);
      if (e !== undefined) examples.push(checkExample(e, examples[0]?.x.length) as ExampleMessage);
    } catch (err) {
      if (!(err instanceof RxgradError)) throw err;
      rejected++;
      lastReason = err.message;
      o.onReject?.(i + 1, err.message);
    }
  }
  return { examples, rejected, ...(lastReason !== undefined && { lastReason }) };
}

/** The example index in a message id `${idPrefix}-${index}`, or undefined for another producer's id. */
function indexOf(msgId: string | undefined, idPrefix: string): number | undefined {
  if (!msgId?.startsWith(`${idPrefix}-`)) return undefined;
  const i = Number(msgId.slice(idPrefix.length + 1));
  return Number.isSafeInteger(i) && i >= 0 ? i : undefined;
}

/** Stream sequences read at a time when looking for a producer's newest ids. */
const SCAN_CHUNK = 256;
/** Sequences looked at at most (other producers' messages may be interleaved). */
const SCAN_MAX = 16 * SCAN_CHUNK;

/**
 * Where a producer with `idPrefix` continues: the first example index not known to be in the
 * stream, read from the stream itself (so a re-run publishes nothing twice even after the
 * stream's duplicate window, 2 minutes by default, has passed).
 *
 * 1. The newest messages are read by sequence, newest first, until `inFlight` of this
 *    producer's ids past its newest index M are seen, or `SCAN_MAX` sequences, or the start.
 * 2. A publisher has at most `inFlight` examples unacked, so a gap (a publish lost when a run
 *    failed) can only be among the last `inFlight` indices: the answer is the first index in
 *    [M − inFlight + 1, M] not seen, else M + 1. Indices there that were not looked at count as
 *    missing (they are published again; the stream's duplicate window catches them).
 * 3. No message of this producer (or no stream): 0. No server reachable: an `RxgradError` naming `servers`.
 */
export async function resumeIndex(servers: readonly string[], stream: string, idPrefix: string, inFlight: number): Promise<number> {
  const { jetstream } = await loadNats();
  const nc = await natsConnect(servers, 'rxgrad-publish-resume').catch((err: unknown) => {
    throw new RxgradError('servers', 'a reachable NATS server', shown(`${(err as Error).message} at ${servers.join(', ')}`));
  });
  try {
    const jsm = await jetstream.jetstreamManager(nc);
    let info;
    try {
      info = await jsm.streams.info(stream);
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
    const { first_seq: first, last_seq: last, messages } = info.state;
    if (messages === 0) return 0;
    const seen = new Set<number>();
    let newest = -1;
    for (let top = last; top >= first && last - top < SCAN_MAX; top -= SCAN_CHUNK) {
      const seqs = Array.from({ length: Math.min(SCAN_CHUNK, top - first + 1) }, (_, k) => top - k);
      const got = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(stream, { seq }).catch((err: unknown) => (isNotFound(err) ? null : Promise.reject(err)))));
      for (const m of got) {
        const i = indexOf(m?.header?.get('Nats-Msg-Id'), idPrefix);
        if (i === undefined) continue;
        seen.add(i);
        newest = Math.max(newest, i);
      }
      if (newest >= 0 && [...seen].filter((i) => i > newest - inFlight).length >= Math.min(inFlight, newest + 1)) break;
    }
    if (newest < 0) return 0;
    for (let i = Math.max(0, newest - inFlight + 1); i <= newest; i++) if (!seen.has(i)) return i;
    return newest + 1;
  } finally {
    await nc.close();
  }
}

/**
 * Publish a source's examples to the stream, continuing where an earlier run stopped.
 *
 * 1. The examples are read (`readSource`: Elec2 or a CSV / NDJSON file, bad lines rejected and
 *    counted, at most `limit`).
 * 2. `resumeIndex` finds the first example not in the stream yet; examples before it count as
 *    duplicates. The rest go out with `publishExamples` (message ids `${idPrefix}-${index}`,
 *    `inFlight` unacked at most, paced at `rate`): an id the stream already holds within its
 *    duplicate window is stored once and counted as a duplicate.
 * 3. Examples/s is (published + duplicates refused by the stream) over the run's wall time.
 *
 * @example
 * const r = await publish({ source: 'elec2', servers: 'nats://127.0.0.1:4222', limit: 1000 });
 * // { published: 1000, duplicates: 0, … }; again: { published: 0, duplicates: 1000, … }
 */
export async function publish(o: PublishCliOptions): Promise<PublishReport> {
  const servers = natsServers('servers', o.servers);
  const { stream, subject } = streamNames({ stream: o.stream, subject: o.subject });
  const limit = o.limit === undefined ? undefined : positiveInt('limit', o.limit);
  const inFlight = positiveInt('inFlight', o.inFlight ?? 256);
  const rate = o.rate === undefined ? undefined : inRange('rate', o.rate, { min: 0, minOpen: true });
  if (o.format !== undefined && o.format !== 'csv' && o.format !== 'ndjson') throw new RxgradError('format', 'csv or ndjson', o.format);
  const idPrefix = o.idPrefix ?? (o.source === 'elec2' ? 'elec2' : basename(o.source).replace(/\..*$/, '').replace(/\s+/g, '_'));
  const read = readSource(o.source, { format: o.format, limit, onReject: o.onReject });
  if (read.examples.length === 0) throw new RxgradError('source', 'at least one example', shown(`none in ${o.source}`));
  const t0 = performance.now();
  const from = Math.min(await resumeIndex(servers, stream, idPrefix, inFlight), read.examples.length);
  o.onStart?.(read.examples.length, from);
  const rest = read.examples.slice(from);
  let sent = from;
  const counted = (function* () {
    for (const e of rest) {
      yield e;
      o.onSent?.(++sent);
    }
  })();
  const r = await publishExamples({ servers, stream, subject, examples: counted, idPrefix, from, ...(rate !== undefined && { rate }), inFlight });
  const seconds = (performance.now() - t0) / 1000;
  return {
    source: o.source,
    idPrefix,
    examples: read.examples.length,
    published: r.published,
    duplicates: from + r.duplicates,
    from,
    rejected: read.rejected,
    ...(read.lastReason !== undefined && { lastReason: read.lastReason }),
    seconds: Number(seconds.toFixed(3)),
    examplesPerSecond: Math.round((r.published + r.duplicates) / seconds),
  };
}

async function main(): Promise<void> {
  if (process.env.npm_command === 'publish') {
    // npm runs a script named "publish" after `npm publish` (a lifecycle script): nothing to send then.
    console.error('publish: `npm publish` ran the "publish" script; publishing examples needs `npm run publish -- <source>`');
    return;
  }
  const program = new Command()
    .name('publish')
    .description('Publish Elec2 or a CSV / NDJSON file to a NATS JetStream stream, one example per message, deduplicated by message id')
    .argument('<source>', 'elec2, or a .csv / .ndjson file (optionally .gz)')
    .option('--servers <urls>', 'NATS server URLs, comma-separated', 'nats://127.0.0.1:4222')
    .option('--stream <name>', 'stream name', NATS_DEFAULTS.stream)
    .option('--subject <subject>', 'subject the examples are published on', NATS_DEFAULTS.subject)
    .option('--rate <n>', 'examples per second (default: as fast as the stream acks)')
    .option('--limit <n>', 'publish only the first n examples')
    .option('--in-flight <n>', 'publishes awaiting their ack at most', '256')
    .option('--id-prefix <prefix>', 'message ids are <prefix>-<index> (default: elec2, or the file name)')
    .option('--format <format>', 'csv or ndjson (default: from the file extension)')
    .parse();
  const [source] = program.args;
  const a = program.opts<Record<string, string | undefined>>();
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'publish {bar} {percentage}% | {value}/{total} examples | {speed} examples/s', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  let started = 0;
  let startedAt = 0;
  let total = 0;
  const report = await publish({
    source,
    servers: String(a.servers).split(','),
    stream: a.stream,
    subject: a.subject,
    ...(a.rate !== undefined && { rate: num(a.rate) }),
    ...(a.limit !== undefined && { limit: num(a.limit) }),
    inFlight: num(a.inFlight),
    ...(a.idPrefix !== undefined && { idPrefix: a.idPrefix }),
    ...(a.format !== undefined && { format: a.format as 'csv' | 'ndjson' }),
    onReject: (line, reason) => console.error(`${source}:${line}: rejected: ${reason}`),
    onStart: (n, from) => {
      if (from > 0) console.error(`the stream already holds examples 0–${from - 1} of ${source}: publishing from ${from}`);
      bar?.start(n, from, { speed: '…' });
      started = performance.now();
      startedAt = from;
      total = n;
    },
    onSent: (sent) => {
      if (bar && (sent % 250 === 0 || sent === total)) bar.update(sent, { speed: Math.round((sent - startedAt) / Math.max((performance.now() - started) / 1000, 1e-3)).toLocaleString('en-US') });
    },
  }).finally(() => bar?.stop());
  console.log(JSON.stringify(report));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // A bad flag or file is a message and exit code 1, not a stack trace.
  await main().catch((err: unknown) => {
    console.error(err instanceof RxgradError ? `publish: ${err.message}` : err);
    process.exit(1);
  });
}
