import { spawn } from 'node:child_process';

/**
 * Start a bundled run script as a real node process (cwd `root`), for the kill -9 tests:
 * `started` resolves when it prints `started `, `exited` with its code or signal and the time.
 */
export function launchRun(bundle: string, args: readonly string[], root: string) {
  const child = spawn(process.execPath, [bundle, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onStart: (t: number) => void;
  const started = new Promise<number>((resolve) => (onStart = resolve));
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (stdout.includes('started ')) onStart(performance.now());
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  return { child, started, exited, stdout: () => stdout, stderr: () => stderr };
}
