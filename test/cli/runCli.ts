import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;

/** A running `rxgrad` CLI (bin/rxgrad.ts run by tsx) in its own process. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (rejects if it exits first or after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** SIGINT, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

/**
 * Start `rxgrad <args>` from the sources with `env` added to this process's environment.
 *
 * @example
 * const cli = runCli(['dashboard', '--port', '0'], { RXGRAD_CONFIG_DIR: dir });
 * const [, url] = await cli.waitFor(/rxgrad dashboard: (\S+)/);
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): RunningCli {
  const child = spawn(TSX, [`${ROOT}bin/rxgrad.ts`, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d;
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => (done(), reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`))), timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          check();
          if (listeners.has(check)) (done(), reject(new Error(`exited (${code}) before ${pattern}:\n${out}`)));
        });
        check();
      }),
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
