import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Subscription } from 'rxjs';
import { RxgradError } from '../src/RxgradError';
import { metricsServer, type MetricsServer } from '../streams/sinks/MetricsServer';
import { publishRun } from '../streams/sinks/publishRun';
import type { RunChannel } from '../streams/sinks/RunChannel';
import { fileRun } from './fileRun';

/** Options of `dashboard`. */
export interface DashboardOptions {
  /** Port to listen on (0: any free port). */
  readonly port: number;
  /** Interface to bind. */
  readonly host: string;
  /** The token the page must present. */
  readonly token: string;
  /** Show lines appended to the files later, and (for folders) files created later. */
  readonly follow?: boolean;
  /** With `follow`, look for new lines and files this often, in ms (default 250). */
  readonly pollMs?: number;
  /** Called when a file cannot be read or holds a bad line (its run ends with status `error`), or its run cannot be added; default: throw. */
  readonly onError?: (file: string, error: unknown) => void;
}

/** A running dashboard; `close()` stops reading the files and the server. */
export interface Dashboard {
  readonly server: MetricsServer;
  close(): Promise<void>;
}

/**
 * Start a metrics server serving the dashboard page with the runs of `paths` (`rxgrad dashboard`).
 *
 * 1. Each path is a file written by the `jsonl` sink (one run, shown with its whole history),
 *    or a folder: every `*.jsonl` file in it. A path that does not exist is an `RxgradError`
 *    before anything listens — except with `follow`, where a missing file is waited for.
 * 2. A run's id is its file name without `.jsonl` (`-2`, `-3` … when two files share a name);
 *    its name is the path. Without `follow` a run ends `done` at the end of its file.
 * 3. With `follow`, lines appended to a file appear live; when a file is rewritten (it shrank:
 *    a new run writes it), its lines start a new run `<id>~2`, `<id>~3` …; `*.jsonl` files created
 *    later in a folder are opened as they appear.
 *
 * @example
 * const { server } = await dashboard(['runs/'], { port: 0, host: '127.0.0.1', token: userToken(), follow: true });
 * console.log(server.url);
 */
export async function dashboard(paths: readonly string[], options: DashboardOptions): Promise<Dashboard> {
  const follow = options.follow ?? false;
  const pollMs = options.pollMs ?? 250;
  const folders = paths.filter((p) => existsSync(p) && statSync(p).isDirectory());
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0 && !follow) {
    throw new RxgradError('files', 'jsonl files or folders that exist (--follow waits for a file)', missing.length === 1 ? missing[0] : missing);
  }
  const server = await metricsServer({ port: options.port, host: options.host, token: options.token });
  let closed = false;
  const fail =
    options.onError ??
    ((_file: string, err: unknown) => {
      throw err;
    });
  const opened = new Set<string>();
  const ids = new Set<string>();
  const reading = new Subscription();
  const open = (file: string) => {
    opened.add(file);
    const stem = basename(file).replace(/\.jsonl$/, '');
    let id = stem;
    for (let n = 2; ids.has(id); n += 1) id = `${stem}-${n}`;
    ids.add(id);
    const generation = (n: number) => {
      let channel: RunChannel;
      try {
        channel = server.run({ id: n === 1 ? id : `${id}~${n}`, name: n === 1 ? file : `${file} (rewritten ${n - 1}×)`, config: { file } });
      } catch (err) {
        return fail(file, err); // e.g. more runs than the server's maxRuns
      }
      reading.add(
        fileRun(file, { follow, pollMs })
          .pipe(publishRun(channel))
          .subscribe({
            error: (err: unknown) => fail(file, err),
            complete: () => {
              if (follow && !closed) generation(n + 1);
            },
          }),
      );
    };
    generation(1);
  };
  const scan = () => {
    for (const folder of folders) {
      for (const name of readdirSync(folder).sort()) {
        const file = join(folder, name);
        if (name.endsWith('.jsonl') && !opened.has(file)) open(file);
      }
    }
  };
  for (const p of paths) if (!folders.includes(p)) open(p);
  scan();
  const timer = follow && folders.length > 0 ? setInterval(scan, pollMs) : undefined;
  return {
    server,
    close: async () => {
      closed = true;
      clearInterval(timer);
      reading.unsubscribe();
      await server.close();
    },
  };
}
