/**
 * What the JetStream test files share: a test file's own server and client (`useNatsServer`,
 * registering its `beforeAll`/`afterAll`), Elec2's first rows as a table, and a sleep.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { ExampleTable } from '../../src/online/ExampleTable';
import { elec2 } from '../../streams/sources/elec2';
import { startNatsServer, type NatsServer } from './natsServer';

/** A test file's server, its client connection and JetStream manager, and temp folders removed at the end. */
export interface NatsFixture {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** A fresh temp folder, removed after the file's tests. */
  tempDir(): string;
}

/**
 * Start a JetStream server and connect to it before the file's tests; close both and remove the
 * temp folders after them. Read the fields inside tests (they exist once `beforeAll` ran).
 *
 * @example
 * const nats = useNatsServer();
 * it('…', async () => { await nats.jsm.streams.info('rxgrad'); });
 */
export function useNatsServer(): NatsFixture {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
  }, 20_000);
  afterAll(async () => {
    await nc?.close();
    await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useNatsServer: read its fields inside tests (after beforeAll)');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get nc() {
      return ready(nc);
    },
    get jsm() {
      return ready(jsm);
    },
    tempDir: () => {
      const d = mkdtempSync(join(tmpdir(), 'rxgrad-nats-test-'));
      dirs.push(d);
      return d;
    },
  };
}

/** Elec2's first n rows. */
export function elec2Rows(n: number): ExampleTable {
  const t = elec2();
  return { n, d: t.d, xs: t.xs.slice(0, n * t.d), ys: t.ys.slice(0, n) };
}

/** Resolve after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
