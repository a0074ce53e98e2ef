import { afterEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import { produce, socketUrl } from '../../demo/produce';
import { metricsServer, type MetricsServer } from '../../streams/sinks/MetricsServer';
import { ingest } from '../../streams/sources/ingest';
import { elec2 } from '../../streams/sources/elec2';

describe('demo/produce', () => {
  let server: MetricsServer;
  const subs: Subscription[] = [];
  afterEach(async () => {
    subs.splice(0).forEach((s) => s.unsubscribe());
    await server?.close();
  });

  it('feeds Elec2 in order to a live run, paced by the acks of a small blocking queue', async () => {
    server = await metricsServer({ token: 'test-token-123', staticDir: null });
    const { steps } = ingest(server, 'elec2', { batchSize: 10, maxWaitMs: 5, queue: { capacity: 60, policy: 'block' } });
    const xs: number[] = [];
    const ys: number[] = [];
    let maxQueued = 0;
    subs.push(
      steps.subscribe((s) => {
        xs.push(...s.batch.x);
        ys.push(...s.batch.y);
        maxQueued = Math.max(maxQueued, s.online!.ingest!.queued);
      }),
    );
    const report = await produce({ url: server.url, limit: 500, window: 2 });
    expect(report).toMatchObject({ examples: 500, rejected: 0 });
    await new Promise((r) => setTimeout(r, 30));
    const t = elec2();
    expect(xs).toEqual(Array.from(t.xs.subarray(0, 500 * 6)));
    expect(ys).toEqual(Array.from(t.ys.subarray(0, 500)));
    expect(maxQueued).toBeLessThanOrEqual(60);
  });

  it('sends labels later on request, joined by id', async () => {
    server = await metricsServer({ token: 'test-token-123', staticDir: null });
    const { steps, labels } = ingest(server, 'elec2', { batchSize: 50 });
    const unlabelled: number[] = [];
    const got: { id: string | number; y: number }[] = [];
    subs.push(steps.subscribe((s) => unlabelled.push(...Array.from(s.batch.y).filter(Number.isNaN))), labels.subscribe((l) => got.push(l)));
    const report = await produce({ url: server.url, token: 'test-token-123', limit: 100, labelDelay: 30 });
    expect(report).toMatchObject({ examples: 100, labels: 100, rejected: 0 });
    await new Promise((r) => setTimeout(r, 30));
    expect(unlabelled).toHaveLength(100);
    const t = elec2();
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => ({ id: i, y: t.ys[i] })));
  });

  it('reads the token from the printed address', () => {
    expect(socketUrl('http://127.0.0.1:8080/?token=abc%2Bd')).toBe('ws://127.0.0.1:8080/ws?token=abc%2Bd');
    expect(socketUrl('ws://h:1', 't')).toBe('ws://h:1/ws?token=t');
    expect(() => socketUrl('http://h:1/')).toThrow('no token');
  });
});
