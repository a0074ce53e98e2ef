#!/usr/bin/env node
/**
 * The `rxgrad` command (`npx rxgrad …` in a project that installed rxgrad).
 *
 * - `rxgrad dashboard [paths...] [--port N] [--host H] [--token T] [--new-token] [--follow]`:
 *   serve the dashboard page with the runs of jsonl files (or folders of them) written by the
 *   `jsonl` sink; `--follow` shows lines appended later live. Prints the page address.
 * - `rxgrad token [--new-token] [--port N] [--host H]`: print the page address with this user's
 *   token (kept in `<config dir>/token`, see `userToken`), after rotating it with `--new-token`.
 */
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { configDir, userToken } from '../streams/sinks/userToken';
import { dashboard } from './dashboard';

const { version } = createRequire(import.meta.url)('rxgrad/package.json') as { version: string };

/** The port given on the command line, or a commander error. */
function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) program.error(`error: --port: expected an integer in [0, 65535], got ${JSON.stringify(text)}`);
  return n;
}

/** The address of the page on `host:port` with `token`. */
function pageUrl(host: string, portNumber: number, token: string): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${portNumber}/?token=${encodeURIComponent(token)}`;
}

/** The token to serve: `--token`, else this user's (rotated with `--new-token`). */
function token(opts: { token?: string; newToken?: boolean }): string {
  if (opts.token !== undefined && opts.newToken) program.error('error: --token and --new-token exclude each other');
  return opts.token ?? userToken({ rotate: opts.newToken ?? false });
}

const program = new Command().name('rxgrad').description('rxgrad: the live training dashboard').version(version);

program
  .command('dashboard')
  .description('serve the dashboard with the runs of jsonl files written by the jsonl sink (one run per file)')
  .argument('[paths...]', 'jsonl files, or folders of them')
  .option('--port <n>', 'port to listen on (0: any free port)', '8080')
  .option('--host <addr>', 'interface to bind (anything but 127.0.0.1 exposes the dashboard)', '127.0.0.1')
  .addOption(new Option('--token <text>', "access token the page must present (default: this user's, kept in the token file)"))
  .option('--new-token', 'replace the token in the token file first (pages open with the old one are refused)')
  .option('--follow', 'show lines appended to the files later, live (and new files in the folders)')
  .action(async (paths: string[], opts: { port: string; host: string; token?: string; newToken?: boolean; follow?: boolean }) => {
    const { server, close } = await dashboard(paths, {
      port: port(opts.port),
      host: opts.host,
      token: token(opts),
      follow: opts.follow ?? false,
      onError: (file, err) => console.error(`${file}: ${(err as Error).message}`),
    });
    console.log(`rxgrad dashboard: ${server.url}`);
    console.log(`${server.infos.length} run${server.infos.length === 1 ? '' : 's'}${opts.follow ? ', following the files' : ''}. Ctrl-C stops.`);
    const stop = () => void close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('token')
  .description("print the dashboard address with this user's token (the one npm start and rxgrad dashboard serve)")
  .option('--port <n>', 'port of the address', '8080')
  .option('--host <addr>', 'host of the address', '127.0.0.1')
  .option('--new-token', 'replace the token first (pages open with the old one are refused)')
  .action((opts: { port: string; host: string; newToken?: boolean }) => {
    console.log(pageUrl(opts.host, port(opts.port), token(opts)));
    console.log(`token file: ${join(configDir(), 'token')}`);
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exit(1);
}
