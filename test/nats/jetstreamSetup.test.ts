/**
 * `jetstream()`'s setup (connection, stream, consumer) is retried with backoff for
 * `setupTimeoutMs` when it fails for a reason that passes — no server listening yet, a server
 * without JetStream ready (no responders) — so a trainer started while its server restarts (or
 * while a cluster elects a leader) trains once it is back; past the time the stream errors naming
 * the servers. An `RxgradError` (a stream without the subject) is never retried.
 */
import { spawn } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { lastValueFrom, map, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RxgradError } from '../../src/RxgradError';
import { jetstream, type JetStreamOptions } from '../../streams/nats/jetstream';
import { publishExamples } from '../../streams/nats/publishExamples';
import { elec2 } from '../../streams/sources/elec2';
import { natsServerBinary, startNatsServer, type NatsServer } from './natsServer';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
  const t = elec2();
  await publishExamples({ servers: server.url, examples: { n: 64, d: t.d, xs: t.xs.slice(0, 64 * t.d), ys: t.ys.slice(0, 64) }, idPrefix: 's' });
}, 20_000);
afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const optionsOf = (durable: string, more: Partial<JetStreamOptions> = {}): JetStreamOptions => ({ servers: server.url, durable, features: elec2().d, classes: 2, batchSize: 8, ackWaitMs: 2000, ...more });
/** The first `steps` steps' sizes, and when the first came (ms after the subscription). */
async function firstSteps(options: JetStreamOptions, steps: number) {
  const t0 = performance.now();
  let first = 0;
  const sizes = await lastValueFrom(
    jetstream(options).pipe(
      take(steps),
      map((s) => {
        first ||= performance.now() - t0;
        return s.size;
      }),
      toArray(),
    ),
  );
  return { sizes, first };
}

describe('jetstream() setup retried while the server is away', () => {
  it('started while the server is down, it trains once the server is back within setupTimeoutMs', async () => {
    await server.stop();
    const run = firstSteps(optionsOf('down', { setupTimeoutMs: 15_000 }), 2);
    await sleep(1500); // connection refused meanwhile: retried
    await server.restart();
    const { sizes, first } = await run;
    expect(sizes).toEqual([8, 8]);
    expect(first).toBeGreaterThan(1500);
  });

  it('started against a server whose JetStream is not there (no responders), it trains once a JetStream server takes over', async () => {
    await server.stop();
    // A plain server (no -js) on the same port: the connection succeeds, every JetStream request has no responder.
    const plain = spawn(natsServerBinary(), ['-p', String(server.port), '-a', '127.0.0.1'], { stdio: 'ignore' });
    try {
      for (let k = 0; k < 100; k++) {
        const nc = await connect({ servers: server.url }).catch(() => undefined);
        if (nc) {
          await expect(jetstreamManager(nc)).rejects.toThrow(/jetstream is not enabled/);
          await nc.close();
          break;
        }
        await sleep(50);
      }
      const run = firstSteps(optionsOf('nojs', { setupTimeoutMs: 15_000 }), 2);
      await sleep(1500);
      const exited = new Promise((r) => plain.once('exit', r));
      plain.kill('SIGTERM');
      await exited;
      await server.restart(); // the trainer's connection reconnects to it
      const { sizes, first } = await run;
      expect(sizes).toEqual([8, 8]);
      expect(first).toBeGreaterThan(1500);
    } finally {
      plain.kill('SIGKILL');
    }
  });

  it('a server not back within setupTimeoutMs: the stream errors naming the servers and the attempts', async () => {
    await server.stop();
    try {
      const t0 = performance.now();
      let err: unknown;
      await lastValueFrom(jetstream(optionsOf('late', { setupTimeoutMs: 1500 }))).catch((e) => (err = e));
      const ms = performance.now() - t0;
      expect(err).toBeInstanceOf(RxgradError);
      expect((err as RxgradError).field).toBe('servers');
      expect((err as Error).message).toMatch(new RegExp(`^Expected \`servers\` a reachable NATS JetStream server with stream rxgrad \\(${server.url}\\), got a failure: connection refused \\(after \\d+ failed attempts \\(setupTimeoutMs 1500\\)\\)$`));
      // Backoff 100, 200, 400, 800 ms: the 5th pause would pass 1.5 s. It gives up then, not
      // retrying on (the upper bound leaves room for a loaded machine: far below "never").
      expect(ms).toBeGreaterThan(1400);
      expect(ms).toBeLessThan(10_000);
    } finally {
      await server.restart();
    }
  });

  it('an RxgradError (an existing stream without the subject) is not retried: it errors at once', async () => {
    const t0 = performance.now();
    await expect(lastValueFrom(jetstream(optionsOf('wrong', { subject: 'other.examples', setupTimeoutMs: 15_000 })))).rejects.toThrow('Expected `subject` a subject of the existing stream rxgrad, got "other.examples" (it holds rxgrad.examples)');
    // Not retried: a retried setup would go on for setupTimeoutMs (15 s); a loaded machine may take seconds for the one attempt.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
