import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A running `npm start` (demo/main.ts) in a child process. */
export interface RunningDemo {
  readonly child: ChildProcess;
  /** The page address it printed (with the token). */
  readonly url: string;
  /** ms from spawning to the address being printed. */
  readonly startMs: number;
  /** Everything it printed so far. */
  output(): string;
  /** Send Ctrl-C (SIGINT to its process group, as a terminal does) and resolve with the exit code (null if it had to be killed after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Options of `startDemo`. */
export interface StartDemoOptions {
  /** Run it through `npm start -- …` (as a user does) instead of `node demo/start.mjs …` (the same without npm's own start-up). */
  readonly npm?: boolean;
  /** Give up (and kill it) if no address is printed by then (default 60 s). */
  readonly timeoutMs?: number;
}

/**
 * Start demo/main.ts with `args` (e.g. `['--port', '0', '--only', 'adam']`) in its own
 * process group and wait for it to print the page address.
 *
 * @example
 * const demo = await startDemo(['--port', '0']);
 * console.log(demo.url);
 * await demo.stop(); // 0
 */
export function startDemo(args: readonly string[], { npm = false, timeoutMs = 60_000 }: StartDemoOptions = {}): Promise<RunningDemo> {
  const t0 = performance.now();
  const [command, ...pre] = npm ? ['npm', 'start', '--silent', '--'] : [process.execPath, `${root}demo/start.mjs`];
  const child = spawn(command, [...pre, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`demo printed no address within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const m = out.match(/rxgrad dashboard: (http:\/\/\S+)/);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        url: m[1],
        startMs: performance.now() - t0,
        output: () => out,
        stop: async (stopTimeoutMs = 10_000) => {
          if (child.exitCode !== null) return child.exitCode;
          signal('SIGINT');
          const killer = setTimeout(() => signal('SIGKILL'), stopTimeoutMs);
          const code = await exited;
          clearTimeout(killer);
          return code;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited (${code}) before printing its address:\n${out}`));
    });
  });
}
