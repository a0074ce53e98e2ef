/**
 * `npm start`: the dashboard server with the optimization chapter's experiments as live runs.
 *
 * Prints the page address (with its token), runs every experiment of demo/experiments.ts
 * (2-D traces and airfoil runs) paced so they can be watched and steered, and the online runs
 * of demo/onlineRuns.ts (Elec2 replayed at its own rate; a live run fed through the server's
 * ingest endpoint, whose producer command it prints), and keeps serving until Ctrl-C, which
 * stops the runs and the server cleanly.
 *
 * Options: --port <n> (default 8080; 0 = any free port), --host <addr> (default 127.0.0.1),
 * --only <text> (repeatable: experiments whose id or name contains it), --pace <ms> (minimum
 * time between two steps of a chapter run; default 150 for traces, 10 for airfoil; 0 = full
 * speed; online runs keep their own pace),
 * --out <dir> (write <dir>/<run>.jsonl live and <dir>/runs.csv on exit), --backend <name>,
 * --token <text> (default: this user's token, kept in <config dir>/token and reused by every
 * launch, see `userToken`), --new-token (replace that token first). An --only that matches no
 * experiment fails before anything listens.
 */
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identity } from 'rxjs';
import type { BackendName } from '../src/useBackend';
import { jsonl } from '../streams/sinks/jsonl';
import { metricsServer } from '../streams/sinks/MetricsServer';
import { userToken } from '../streams/sinks/userToken';
import { buildWeb } from './buildWeb';
import type { Experiment } from './Experiment';
import { paced } from './paced';
import { silenceTfjsBanner } from './silenceTfjsBanner';

// tfjs and the experiments take most of the start-up: load them while the page is built.
const loading = Promise.all([import('./experiments'), import('../src/useBackend')]);

/** Config entries that describe the data or the length of a run, not a hyperparameter a restart may edit. */
const NOT_HYPER = new Set(['steps', 'batchSize', 'epochs', 'noise']);

const program = new Command()
  .name('npm start --')
  .description("Serve the live dashboard and run the optimization chapter's experiments on it")
  .option('--port <n>', 'port to listen on (0: any free port)', '8080')
  .option('--host <addr>', 'interface to bind (anything but 127.0.0.1 exposes the dashboard)', '127.0.0.1')
  .option('--only <text>', 'only experiments whose id or name contains this text (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--pace <ms>', 'minimum ms between two steps of a run (default: 150 for 2-D traces, 10 for airfoil; 0: full speed)')
  .option('--out <dir>', 'write <dir>/<run>.jsonl as runs go and <dir>/runs.csv on exit')
  .option('--backend <name>', 'tfjs backend: cpu, wasm, tensorflow or auto', 'cpu')
  .option('--token <text>', "access token the page must present (default: this user's, kept in the token file and printed in the address)")
  .option('--new-token', 'replace the token in the token file first (pages open with the old one are refused)')
  .parse();

const opts = program.opts<{ port: string; host: string; only: string[]; pace?: string; out?: string; backend: BackendName; token?: string; newToken?: boolean }>();
const port = Number(opts.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) program.error(`--port: expected an integer in [0, 65535], got ${opts.port}`);
const pace = opts.pace === undefined ? undefined : Number(opts.pace);
if (pace !== undefined && !(pace >= 0)) program.error(`--pace: expected a number of ms ≥ 0, got ${opts.pace}`);

if (opts.token !== undefined && opts.newToken) program.error('--token and --new-token exclude each other');

const [staticDir, [{ experiments }, { useBackend }]] = await Promise.all([buildWeb(), loading]);
const chosen = experiments.filter((e) => opts.only.length === 0 || opts.only.some((t) => e.id.includes(t) || e.name.includes(t)));
if (chosen.length === 0) program.error(`--only ${opts.only.join(' ')}: no experiment matches (ids: ${experiments.map((e) => e.id).join(', ')})`);

const server = await metricsServer({ port, host: opts.host, staticDir, token: opts.token ?? userToken({ rotate: opts.newToken ?? false }) });
console.log(`rxgrad dashboard: ${server.url}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) process.exit(130);
  stopping = true;
  console.log('\nstopping runs and server…');
  await server.close();
  if (opts.out) {
    const file = join(opts.out, 'runs.csv');
    writeFileSync(file, server.toCsv());
    console.log(`wrote ${file}`);
  }
  console.log('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

await useBackend(opts.backend);
silenceTfjsBanner();
if (opts.out) mkdirSync(opts.out, { recursive: true });

function editable(e: Experiment): Record<string, number> {
  return Object.fromEntries(Object.entries(e.config).filter((kv): kv is [string, number] => typeof kv[1] === 'number' && !NOT_HYPER.has(kv[0])));
}

for (const e of chosen) {
  // Online runs are paced by their source (the replay's rate, the producers).
  const ms = e.group === 'online' ? 0 : (pace ?? (e.group === 'trace' ? 150 : 10));
  server.launch(
    {
      id: e.id,
      name: e.name,
      group: e.group,
      config: e.config,
      ...(e.objective && { objective: e.objective }),
      ...(e.book && { book: e.book }),
      ...(e.optimizers && { optimizers: e.optimizers }),
      live: { lr: { min: 0, max: 100, minOpen: true } },
      editable: editable(e),
    },
    (controls) =>
      paced((paused) => e.run({ yieldEveryMs: 5, paused, lr: controls.lr, optimizer: controls.optimizer, hyper: controls.hyper, server }), controls.paused, ms).pipe(
        opts.out ? jsonl(join(opts.out, `${e.id}${controls.hyper ? `-${Date.now()}` : ''}.jsonl`), { run: e.id }) : identity,
      ),
  );
  // Serve the page and the first points between two launches.
  await new Promise((resolve) => setImmediate(resolve));
}

console.log(`${chosen.length} run${chosen.length === 1 ? '' : 's'} live (open the address above; it carries the access token). Ctrl-C stops.`);
for (const e of chosen) {
  if (typeof e.config.producer === 'string') console.log(`${e.name} waits for a producer; in another terminal: ${e.config.producer.replace('<address>', `'${server.url}'`)}`);
}

