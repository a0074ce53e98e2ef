/**
 * `npm run online -- --nats …` against a real nats-server: Elec2 published with `npm run publish`
 * and trained from the stream gives the very model the replay gives (ordered delivery, batch 1),
 * every message is acked once a checkpoint holds it, a run stopped mid-way and started again
 * ends with the same model, and the CLI reports the consumer's counters.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnline, untilIdle, type OnlineOptions } from '../../demo/online';
import { socketUrl } from '../../demo/produce';
import { publish } from '../../demo/publish';
import type { HistoryMessage } from '../../streams/sinks/protocol';
import { WebSocket } from 'ws';
import { useNatsServer } from '../nats/natsFixture';
import { startNatsServer } from '../nats/natsServer';
import { marbles } from '../helpers';

const base: OnlineOptions = { models: ['logistic'], optimizer: 'sgd', lr: 1, batch: 1, delay: 0, detector: 'adwin', checkpointEvery: 100, resume: false };

describe('npm run online -- --nats (a real nats-server)', () => {
  const nats = useNatsServer();
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxgrad-online-nats-'));
    expect(await publish({ source: 'elec2', servers: nats.server.url, limit: 1500 })).toMatchObject({ published: 1500 });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The consumer's state once its acks have landed (they are sent as the run ends). */
  async function settled(durable: string, stream = 'rxgrad') {
    let info = await nats.jsm.consumers.info(stream, durable);
    for (let k = 0; k < 50 && info.num_ack_pending > 0; k++) {
      await new Promise((r) => setTimeout(r, 50));
      info = await nats.jsm.consumers.info(stream, durable);
    }
    return { pending: info.num_pending, ackPending: info.num_ack_pending, ackFloor: info.ack_floor.stream_seq, redelivered: info.num_redelivered };
  }

  it('trains the model the replay trains, acks every message after its checkpoint, and reports the counters', async () => {
    const replayed = await runOnline({ ...base, limit: 1500 });
    const before = tf.memory().numTensors;
    const live = await runOnline({ ...base, checkpoint: join(dir, 'a'), nats: { servers: [nats.server.url], durable: 'a', idleMs: 1000 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(live.examples).toBe(1500);
    expect(live.paramsDigest).toEqual(replayed.paramsDigest);
    expect(live.logistic).toEqual(replayed.logistic);
    expect(live.noChange).toEqual(replayed.noChange);
    // At the last step (before its checkpoint) the messages since the last one are still pending.
    expect(live.ingest!.logistic).toMatchObject({ received: 1500, trained: 1500, rejected: 0, acked: 1400, ackPending: 100, redelivered: 0, duplicates: 0, deadLettered: 0 });
    // The last checkpoint acked them: nothing pending, the ack floor at the last sequence.
    expect(await settled('a-logistic')).toEqual({ pending: 0, ackPending: 0, ackFloor: 1500, redelivered: 0 });
  }, 60_000);

  it('a run stopped at --limit and started again ends with the model of one uninterrupted run', async () => {
    const replayed = await runOnline({ ...base, limit: 1500 });
    // The default ack wait (30 s): the stopped run hands back every message it held, so the
    // second run (ordered) waits for none of them.
    const options = { ...base, checkpoint: join(dir, 'b'), nats: { servers: [nats.server.url], durable: 'b', idleMs: 4000 } };
    const first = await runOnline({ ...options, limit: 650 });
    expect(first.examples).toBe(650);
    // Acked up to the last checkpoint (at 650: the run's end); the messages delivered after it
    // were handed back (nak) and wait for the next run with the undelivered rest.
    const stopped = await settled('b-logistic');
    expect(stopped.ackFloor).toBe(650);
    expect(stopped.pending + stopped.ackPending).toBeGreaterThanOrEqual(850);
    const second = await runOnline(options);
    expect(second.examples).toBe(1500);
    expect(second.paramsDigest).toEqual(replayed.paramsDigest);
    expect(second.logistic).toEqual(replayed.logistic);
    expect(await settled('b-logistic')).toMatchObject({ pending: 0, ackPending: 0, ackFloor: 1500 });
  }, 60_000);

  it('refuses --rate with a stream (the producer sets the pace)', async () => {
    await expect(runOnline({ ...base, rate: 100, nats: { servers: [nats.server.url], durable: 'c' } })).rejects.toThrow('Expected `rate` no rate with a stream');
  });

  it('as a CLI: --nats with --json reports each model and its consumer counters', async () => {
    const { stdout } = await promisify(execFile)(
      'node_modules/.bin/tsx',
      ['demo/online.ts', '--nats', nats.server.url, '--durable', 'cli', '--model', 'logistic,mlp', '--checkpoint', join(dir, 'cli'), '--checkpoint-every', '500', '--idle', '1', '--json'],
      { timeout: 60_000 },
    );
    const s = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(s.examples).toBe(1500);
    expect(Object.keys(s.ingest).sort()).toEqual(['logistic', 'mlp']);
    expect(s.ingest.mlp).toMatchObject({ trained: 1500, acked: 1000, ackPending: 500, deadLettered: 0 });
    expect(s.examplesPerSecond.logistic).toBeGreaterThan(0);
    expect(await settled('cli-mlp')).toMatchObject({ pending: 0, ackPending: 0, ackFloor: 1500 });
  }, 60_000);
});

describe('npm run online -- --nats --dashboard (a real nats-server)', () => {
  it('shows each model as an online run whose points carry the consumer counters, until Ctrl-C', async () => {
    const server = await startNatsServer();
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-online-dash-'));
    await publish({ source: 'elec2', servers: server.url, limit: 300 });
    const child = spawn('node_modules/.bin/tsx', ['demo/online.ts', '--nats', server.url, '--durable', 'dash', '--model', 'logistic', '--limit', '300', '--checkpoint', join(dir, 'ck'), '--dashboard', '0'], {
      env: { ...process.env, RXGRAD_CONFIG_DIR: join(dir, 'config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await expect.poll(() => err, { timeout: 60_000 }).toContain('the dashboard stays at');
      const url = /rxgrad dashboard: (\S+)/.exec(err)![1];
      const ws = new WebSocket(socketUrl(url));
      const history = await new Promise<HistoryMessage>((resolve, reject) => {
        ws.on('error', reject);
        ws.on('message', (data) => {
          const m = JSON.parse(String(data));
          if (m.type === 'history') resolve(m);
        });
      });
      ws.close();
      expect(history.run).toBe('online-logistic');
      const last = history.points.at(-1)!;
      expect(last.examples).toBe(300);
      // The step's counters (taken as it left the source, before the last checkpoint).
      expect(last.online!.ingest).toMatchObject({ trained: 300, acked: 0, ackPending: 300, redelivered: 0, deadLettered: 0 });
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('untilIdle', () => {
  it('passes values on and completes once the time passes without one; errors pass; an unsubscribe stops the timer', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 2ms b 9ms c|');
      expectObservable(source.pipe(untilIdle(5))).toBe('a 2ms b 4ms |');
      expectSubscriptions(source.subscriptions).toBe('^ 7ms !');
      expectObservable(cold('a 2ms #').pipe(untilIdle(5))).toBe('a 2ms #');
      expectObservable(cold('a 2ms b|').pipe(untilIdle(5))).toBe('a 2ms b|');
      expectObservable(cold('-').pipe(untilIdle(3))).toBe('3ms |');
      expectObservable(cold('a 9ms b').pipe(untilIdle(5)), '^ 2ms !').toBe('a');
    });
  });
});
