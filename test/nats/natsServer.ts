/**
 * A real `nats-server` (Debian's 2.9, through apt) with JetStream for the tests: started on a free
 * loopback port with its store in a fresh temp folder, restartable on the same port and store
 * (a server restart mid-stream), stopped and removed at the end.
 *
 * Without the binary, `natsServerMissing()` names the fix; under CI=true the tests must fail
 * rather than skip (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running (or stopped, restartable) test server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The JetStream store folder (file storage), kept across restarts. */
  readonly storeDir: string;
  /** The running server's process id (`undefined` while stopped): for CPU accounting (bench/workers.ts). */
  readonly pid: number | undefined;
  /** Stop the server with SIGTERM (or SIGKILL with `kill: true`) and wait for it to exit. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Start it again on the same port and store. */
  restart(): Promise<void>;
  /** Stop it and remove its store. */
  close(): Promise<void>;
}

/**
 * The server binary the tests run: `$NATS_SERVER` when set, else `nats-server` on the PATH, else Debian's
 * `/usr/sbin/nats-server` (a PATH without /usr/sbin still finds the apt install).
 */
export function natsServerBinary(): string {
  const candidates = [process.env.NATS_SERVER, 'nats-server', '/usr/sbin/nats-server'].filter((c): c is string => !!c);
  return candidates.find((c) => !spawnSync(c, ['--version']).error) ?? 'nats-server';
}

/** The reason the tests cannot start a server, or `undefined` when a `nats-server` binary runs. */
export function natsServerMissing(): string | undefined {
  const r = spawnSync(natsServerBinary(), ['--version'], { encoding: 'utf8' });
  return r.error ? 'nats-server is not installed (apt-get install -y nats-server; .ci/run does it)' : undefined;
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Spawn the server and resolve once it logs that it is ready (or reject with its output). */
function launch(port: number, storeDir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(natsServerBinary(), ['-js', '-sd', storeDir, '-p', String(port), '-a', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => fail(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`nats-server exited with ${code}:\n${log}`)));
  });
}

/**
 * Start a JetStream server for one test file (in its `beforeAll`):
 *
 * 1. Without the `nats-server` binary it throws `natsServerMissing()`'s message, so the file
 *    fails — under CI=true as outside — and never skips; no test file checks it again.
 * 2. Otherwise it listens on a free port of 127.0.0.1 with JetStream in a fresh temp store,
 *    restartable on both; `close()` stops it and removes the store.
 *
 * @example
 * const server = await startNatsServer();
 * const nc = await connect({ servers: server.url });
 * // …
 * await server.close();
 */
export async function startNatsServer(): Promise<NatsServer> {
  const missing = natsServerMissing();
  if (missing) throw new Error(missing);
  const storeDir = mkdtempSync(join(tmpdir(), 'rxgrad-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, storeDir);
  const stop = async (options: { kill?: boolean } = {}): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    c.removeAllListeners('exit');
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(options.kill ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return child?.pid;
    },
    stop,
    restart: async () => {
      await stop();
      child = await launch(port, storeDir);
    },
    close: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
