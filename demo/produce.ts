/**
 * `npx tsx demo/produce.ts <url> [token]`: a producer feeding the Elec2 stream, in time order, to
 * a running metrics server's ingest endpoint (`ingest(server, run, …)` on the other side).
 *
 * `<url>` is the address the server printed (`http://127.0.0.1:8080/?token=…`, the token taken
 * from it) or `ws://host:port`. Options: --run <id> (default elec2), --batch <n> examples per
 * message (default 25, fewer if the server's `maxMessageBytes` needs), --rate <examples/s>
 * (default: as fast as the acks come), --window <n> messages in flight (default 1),
 * --label-delay <n> (send examples unlabelled and each label n examples later), --limit <n> rows.
 */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { WebSocket } from 'ws';
import { elec2 } from '../streams/sources/elec2';
import type { ExampleTable } from '../src/online/ExampleTable';

/** Options of `produce`. */
export interface ProduceOptions {
  /** The server's address: `http://host:port/?token=…` as printed, or `ws://host:port`. */
  readonly url: string;
  /** The token, when the address does not carry it. */
  readonly token?: string;
  /** The run's ingest id (default `elec2`). */
  readonly run?: string;
  /** Examples per message (default 25; fewer when a message would exceed the server's limit). */
  readonly batch?: number;
  /** Examples per second (default: as fast as the acks come). */
  readonly rate?: number;
  /** Messages sent before waiting for the oldest one's ack (default 1). */
  readonly window?: number;
  /** Send examples without labels and each label this many examples later (default: labelled). */
  readonly labelDelay?: number;
  /** Rows sent at most (default: all). */
  readonly limit?: number;
  /** The table (default: `elec2()`). */
  readonly table?: ExampleTable;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** What a `produce` run did. */
export interface ProduceReport {
  readonly examples: number;
  readonly labels: number;
  readonly messages: number;
  /** Messages the server refused, and its last reason. */
  readonly rejected: number;
  readonly lastReason?: string;
  readonly seconds: number;
}

/** The WebSocket address (with the token) from the address a server printed. */
export function socketUrl(url: string, token?: string): string {
  const u = new URL(url);
  const t = token ?? u.searchParams.get('token');
  if (!t) throw new Error(`no token: give it as the second argument, or use the address the server printed (…/?token=…)`);
  const scheme = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  return `${scheme}//${u.host}/ws?token=${encodeURIComponent(t)}`;
}

/** float32 values in their shortest exact decimal form (9 significant digits round-trip a float32). */
export const short = (v: number) => Number(v.toPrecision(9));

/**
 * Feed a table to a run's ingest endpoint with ack-based flow control: at most `window` messages
 * unacked (the server withholds acks while the run's queue is full), paced at `rate`.
 *
 * @example
 * const report = await produce({ url: server.url, run: 'elec2', limit: 1000 });
 */
export async function produce(options: ProduceOptions): Promise<ProduceReport> {
  const run = options.run ?? 'elec2';
  const window = options.window ?? 1;
  const table = options.table ?? elec2();
  const n = Math.min(options.limit ?? table.n, table.n);
  const log = options.log ?? (() => undefined);
  const ws = new WebSocket(socketUrl(options.url, options.token));
  const acks = new Map<number, () => void>();
  let rejected = 0;
  let lastReason: string | undefined;
  let maxBytes = 4096;
  const hello = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed (${code}) ${reason}`)));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'hello') {
        maxBytes = m.limits?.maxMessageBytes ?? maxBytes;
        resolve();
      } else if (m.type === 'ack' || m.type === 'reject') {
        if (m.type === 'reject') {
          rejected += 1;
          lastReason = m.reason;
          log(`rejected: ${m.reason}`);
        }
        acks.get(m.id)?.();
        acks.delete(m.id);
      }
    });
  });
  await hello;
  let id = 0;
  let messages = 0;
  const inFlight: Promise<void>[] = [];
  const send = async (message: object): Promise<void> => {
    if (inFlight.length >= window) await inFlight.shift();
    const mid = ++id;
    inFlight.push(new Promise<void>((resolve) => acks.set(mid, resolve)));
    ws.send(JSON.stringify({ ...message, id: mid }));
    messages += 1;
  };
  // The largest count of items from `from` whose message fits the server's limit.
  const fitting = (make: (from: number, count: number) => object, from: number, count: number): number => {
    while (count > 1 && Buffer.byteLength(JSON.stringify({ ...make(from, count), id: 1e9 })) > maxBytes) count = Math.ceil(count / 2);
    return count;
  };
  const labelled = options.labelDelay === undefined;
  const examples = (from: number, count: number) => ({
    type: 'examples',
    run,
    examples: Array.from({ length: count }, (_, k) => {
      const i = from + k;
      const x = Array.from(table.xs.subarray(i * table.d, (i + 1) * table.d), short);
      return labelled ? { x, y: table.ys[i], id: i } : { x, id: i };
    }),
  });
  const labels = (from: number, count: number) => ({ type: 'labels', run, labels: Array.from({ length: count }, (_, k) => ({ id: from + k, y: table.ys[from + k] })) });
  const t0 = performance.now();
  let sent = 0;
  let labelsSent = 0;
  const sendLabelsUpTo = async (end: number) => {
    while (labelsSent < end) {
      const count = fitting(labels, labelsSent, Math.min(end - labelsSent, 1000));
      await send(labels(labelsSent, count));
      labelsSent += count;
    }
  };
  while (sent < n) {
    const count = fitting(examples, sent, Math.min(options.batch ?? 25, n - sent));
    await send(examples(sent, count));
    sent += count;
    if (!labelled) await sendLabelsUpTo(Math.max(0, sent - (options.labelDelay as number)));
    if (options.rate) {
      const wait = t0 + (sent / options.rate) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (sent % 5000 < count) log(`${sent} examples sent`);
  }
  if (!labelled) await sendLabelsUpTo(n);
  await Promise.all(inFlight);
  ws.close();
  const seconds = (performance.now() - t0) / 1000;
  return { examples: sent, labels: labelsSent, messages, rejected, ...(lastReason !== undefined && { lastReason }), seconds };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('produce')
    .description("Feed the Elec2 stream to a running server's ingest endpoint")
    .argument('<url>', 'the address the server printed (http://127.0.0.1:8080/?token=…) or ws://host:port')
    .argument('[token]', 'the token, if the address does not carry it')
    .option('--run <id>', 'the run’s ingest id', 'elec2')
    .option('--batch <n>', 'examples per message', Number, 25)
    .option('--rate <n>', 'examples per second (default: as fast as the acks come)', Number)
    .option('--window <n>', 'messages in flight before waiting for an ack', Number, 1)
    .option('--label-delay <n>', 'send examples unlabelled and each label n examples later', Number)
    .option('--limit <n>', 'rows to send', Number)
    .parse();
  const [url, token] = program.args;
  const o = program.opts<{ run: string; batch: number; rate?: number; window: number; labelDelay?: number; limit?: number }>();
  const r = await produce({ url, token, ...o, log: (l) => console.log(l) });
  console.log(
    `${r.examples} examples${r.labels ? ` and ${r.labels} labels` : ''} in ${r.messages} messages, ${r.seconds.toFixed(1)} s (${Math.round(r.examples / r.seconds)} examples/s); ` +
      `${r.rejected} rejected${r.lastReason ? ` (last: ${r.lastReason})` : ''}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
