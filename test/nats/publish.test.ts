/**
 * `npm run publish` (demo/publish.ts) against a real nats-server: what lands in the stream, in
 * order and exact; a re-run publishes nothing twice; a run stopped with a gap continues at the
 * gap; bad lines of a file are rejected with their reason; the pace; the CLI's last line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish, resumeIndex } from '../../demo/publish';
import { short } from '../../demo/produce';
import { publishExamples } from '../../streams/nats/publishExamples';
import { elec2 } from '../../streams/sources/elec2';
import { useNatsServer } from './natsFixture';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run publish (demo/publish.ts) with a real nats-server', () => {
  const nats = useNatsServer();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rxgrad-publish-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every message of a stream, in sequence order: its id header and its JSON. */
  async function stored(stream: string): Promise<{ id: string | undefined; body: { x: number[]; y?: number; id?: unknown } }[]> {
    const { first_seq: first, last_seq: last, messages } = (await nats.jsm.streams.info(stream)).state;
    if (messages === 0) return [];
    const seqs = Array.from({ length: last - first + 1 }, (_, k) => first + k);
    const msgs = await Promise.all(seqs.map((seq) => nats.jsm.streams.getMessage(stream, { seq })));
    return msgs.map((m) => ({ id: m!.header.get('Nats-Msg-Id'), body: m!.json() }));
  }

  it('publishes Elec2 in order, exact, one example per message with ids elec2-<index>; a re-run publishes nothing twice; a longer run continues', async () => {
    const stream = 'elec2a';
    const first = await publish({ source: 'elec2', servers: nats.server.url, stream, subject: 'a.examples', limit: 300 });
    expect(first).toMatchObject({ source: 'elec2', idPrefix: 'elec2', examples: 300, published: 300, duplicates: 0, from: 0, rejected: 0 });
    const t = elec2();
    const msgs = await stored(stream);
    expect(msgs.map((m) => m.id)).toEqual(Array.from({ length: 300 }, (_, i) => `elec2-${i}`));
    // The features are Elec2's float32 values (9 significant digits round-trip them), the labels as given.
    expect(msgs.map((m) => m.body.x.map(Math.fround))).toEqual(Array.from({ length: 300 }, (_, i) => Array.from(t.xs.subarray(i * 6, (i + 1) * 6))));
    expect(msgs.map((m) => m.body.x)).toEqual(Array.from({ length: 300 }, (_, i) => Array.from(t.xs.subarray(i * 6, (i + 1) * 6), short)));
    expect(msgs.map((m) => m.body.y)).toEqual(Array.from(t.ys.subarray(0, 300)));

    expect(await publish({ source: 'elec2', servers: nats.server.url, stream, subject: 'a.examples', limit: 300 })).toMatchObject({ published: 0, duplicates: 300, from: 300 });
    expect(await publish({ source: 'elec2', servers: nats.server.url, stream, subject: 'a.examples', limit: 500 })).toMatchObject({ examples: 500, published: 200, duplicates: 300, from: 300 });
    expect((await stored(stream)).map((m) => m.id)).toEqual(Array.from({ length: 500 }, (_, i) => `elec2-${i}`));
  });

  it('continues a run that stopped with a gap at the gap; the stream refuses the ids after it that it holds', async () => {
    const stream = 'gap';
    const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ x: [from + k], y: 0 }));
    // Examples 0–49 and 60–99 stored, 50–59 lost (as when a failing run had them in flight).
    await publishExamples({ servers: nats.server.url, stream, subject: 'gap.examples', examples: rows(0, 50), idPrefix: 'f' });
    await publishExamples({ servers: nats.server.url, stream, subject: 'gap.examples', examples: rows(60, 100), idPrefix: 'f', from: 60 });
    // Another producer's messages after them do not hide them.
    await publishExamples({ servers: nats.server.url, stream, subject: 'gap.examples', examples: rows(0, 30), idPrefix: 'other' });
    expect(await resumeIndex([nats.server.url], stream, 'f', 64)).toBe(50);
    // Beyond the in-flight window, an earlier gap is not looked for (a publisher cannot leave one there).
    expect(await resumeIndex([nats.server.url], stream, 'f', 16)).toBe(100);
    expect(await resumeIndex([nats.server.url], stream, 'nobody', 64)).toBe(0);
    expect(await resumeIndex([nats.server.url], 'no-such-stream', 'f', 64)).toBe(0);

    const file = join(dir, 'f.ndjson');
    writeFileSync(file, rows(0, 100).map((e) => JSON.stringify(e)).join('\n') + '\n');
    // 50 before the gap skipped, 60–99 refused by the stream as duplicate ids: 10 published.
    expect(await publish({ source: file, servers: nats.server.url, stream, subject: 'gap.examples', inFlight: 64 })).toMatchObject({ idPrefix: 'f', published: 10, duplicates: 90, from: 50 });
    const ids = (await stored(stream)).map((m) => m.id).filter((id) => id?.startsWith('f-'));
    expect(ids.map((id) => Number(id!.slice(2))).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('publishes a CSV file (header, last column the label) and an NDJSON file, each bad line rejected with its line and reason', async () => {
    const csv = join(dir, 'data.csv');
    writeFileSync(csv, 'a,b,target\n0.5,1,1\n0.25,oops,0\n\n0.75,2,0\n1,2\n');
    const rejects: [number, string][] = [];
    const r = await publish({ source: csv, servers: nats.server.url, stream: 'files', subject: 'files.examples', onReject: (line, reason) => rejects.push([line, reason]) });
    expect(r).toMatchObject({ idPrefix: 'data', examples: 2, published: 2, duplicates: 0, rejected: 2, lastReason: 'Expected `row` 3 cells (as the header), got 2' });
    expect(rejects).toEqual([
      [3, 'Expected `b` a number, got "oops"'],
      [6, 'Expected `row` 3 cells (as the header), got 2'],
    ]);
    const nd = join(dir, 'more.ndjson');
    writeFileSync(nd, '{"x":[1,2],"y":1,"id":"a"}\n{"x":[1,2],\n{"x":[3],"y":0}\n{"x":[3,4]}\n');
    const r2 = await publish({ source: nd, servers: nats.server.url, stream: 'files', subject: 'files.examples' });
    expect(r2).toMatchObject({ idPrefix: 'more', examples: 2, published: 2, rejected: 2, lastReason: 'Expected `x` 2 features, got 1' });
    expect((await stored('files')).map((m) => m.body)).toEqual([
      { x: [0.5, 1], y: 1 },
      { x: [0.75, 2], y: 0 },
      { x: [1, 2], y: 1, id: 'a' },
      { x: [3, 4] }, // unlabelled: its label comes later
    ]);
    await expect(publish({ source: join(dir, 'empty.ndjson'), servers: nats.server.url })).rejects.toThrow('ENOENT');
    writeFileSync(join(dir, 'bad.ndjson'), 'nope\n');
    await expect(publish({ source: join(dir, 'bad.ndjson'), servers: nats.server.url })).rejects.toThrow('Expected `source` at least one example');
  });

  it('keeps the pace asked (examples/s)', async () => {
    const r = await publish({ source: 'elec2', servers: nats.server.url, stream: 'paced', subject: 'paced.examples', limit: 400, rate: 1000 });
    expect(r.published).toBe(400);
    // Example i leaves no earlier than i / rate: 399 ms at least; the rate reported is at most the one asked.
    expect(r.seconds).toBeGreaterThanOrEqual(0.399);
    expect(r.examplesPerSecond).toBeLessThanOrEqual(1000);
  });

  it('rejects bad options naming the field', async () => {
    await expect(publish({ source: 'elec2', servers: [] })).rejects.toThrow('Expected `servers`');
    await expect(publish({ source: 'elec2', servers: 'nats://127.0.0.1:1', limit: 10 })).rejects.toThrow('Expected `servers` a reachable NATS server, got connection refused at nats://127.0.0.1:1');
    await expect(publish({ source: 'elec2', servers: nats.server.url, rate: 0 })).rejects.toThrow('`rate`');
    await expect(publish({ source: 'elec2', servers: nats.server.url, limit: 1.5 })).rejects.toThrow('`limit`');
    await expect(publish({ source: 'elec2', servers: nats.server.url, format: 'xml' as 'csv' })).rejects.toThrow('Expected `format` csv or ndjson');
  });

  it('as a CLI: the last line of stdout is the JSON report; a bad flag is a message and exit code 1', () => {
    const run = (args: string[]) => spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'demo/publish.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const args = ['elec2', '--servers', nats.server.url, '--stream', 'cli', '--subject', 'cli.examples', '--limit', '200', '--rate', '2000'];
    const r = run(args);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ source: 'elec2', published: 200, duplicates: 0, rejected: 0 });
    expect(report.examplesPerSecond).toBeGreaterThan(0);
    const again = run(args);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!)).toMatchObject({ published: 0, duplicates: 200 });
    expect(again.stderr).toContain('the stream already holds examples 0–199 of elec2: publishing from 200');
    const bad = run(['elec2', '--servers', nats.server.url, '--rate', '-1']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('publish: Expected `rate`');
  }, 60_000);
});
