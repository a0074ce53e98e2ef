import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../bin/dashboard';
import { buildWeb } from '../../demo/buildWeb';
import type { HistoryMessage, PointsMessage, RunMessage, ServerMessage } from '../../streams/sinks/protocol';
import { connect, type TestClient } from '../sinks/wsClient';
import { runCli, type RunningCli } from './runCli';

/** A line as the jsonl sink writes it. */
const line = (step: number, loss: number) =>
  `${JSON.stringify({ step, epoch: 1, loss, lr: 0.1, hyper: { lr: 0.1 }, gradNorm: 1, updateNorm: 0.1, size: 1, examples: step, time: 1, wallTime: 1e12 + step, info: {} })}\n`;

let dir: string;
let env: NodeJS.ProcessEnv;
const running: RunningCli[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  await buildWeb();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(running.splice(0).map((c) => c.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
dir = mkdtempSync(join(tmpdir(), 'rxgrad-cli-'));
env = { RXGRAD_CONFIG_DIR: join(dir, 'config') };

async function start(args: string[]): Promise<{ cli: RunningCli; url: URL }> {
  const cli = runCli(args, env);
  running.push(cli);
  const [, url] = await cli.waitFor(/rxgrad dashboard: (http:\/\/\S+)/);
  await cli.waitFor(/Ctrl-C stops\./);
  return { cli, url: new URL(url) };
}

function client(url: URL): TestClient {
  const c = connect(Number(url.port), url.searchParams.get('token')!);
  clients.push(c);
  return c;
}

function get(url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) =>
    request(url, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    })
      .on('error', reject)
      .end(),
  );
}

const isHistory = (run: string) => (m: ServerMessage): m is HistoryMessage => m.type === 'history' && m.run === run;
const isRun = (run: string, status?: string) => (m: ServerMessage): m is RunMessage => m.type === 'run' && m.run.id === run && (!status || m.run.status === status);

describe('rxgrad dashboard', () => {
  it('serves the page and shows each jsonl file (and each one of a folder) as a finished run with its history', async () => {
    const runs = join(dir, 'runs');
    mkdirSync(join(runs, 'more'), { recursive: true });
    writeFileSync(join(runs, 'adam.jsonl'), line(1, 0.9) + line(2, 0.5) + line(3, 0.25));
    writeFileSync(join(runs, 'more', 'sgd.jsonl'), line(1, 0.8) + line(2, 0.7));
    writeFileSync(join(runs, 'more', 'notes.txt'), 'not a run');
    const { cli, url } = await start(['dashboard', join(runs, 'adam.jsonl'), join(runs, 'more'), '--port', '0']);
    expect(cli.output()).toContain('2 runs. Ctrl-C stops.');
    expect(url.searchParams.get('token')).toBe(readFileSync(join(dir, 'config', 'token'), 'utf8').trim());
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="app.js"');
    const c = client(url);
    const hello = await c.next((m) => m.type === 'hello');
    expect(hello.type === 'hello' && hello.runs.map((r) => [r.id, r.name, r.status])).toEqual([
      ['adam', join(runs, 'adam.jsonl'), 'done'],
      ['sgd', join(runs, 'more', 'sgd.jsonl'), 'done'],
    ]);
    expect((await c.next(isHistory('adam'))).points.map((p) => [p.step, p.loss])).toEqual([[1, 0.9], [2, 0.5], [3, 0.25]]);
    expect((await c.next(isHistory('sgd'))).points.map((p) => p.loss)).toEqual([0.8, 0.7]);
    expect(await cli.stop()).toBe(0);
  });

  it('--follow shows appended lines live, a file created later, and a rewritten file as a new run', async () => {
    const file = join(dir, 'live.jsonl');
    const later = join(dir, 'later.jsonl');
    writeFileSync(file, line(1, 1));
    const { url } = await start(['dashboard', file, later, '--follow', '--port', '0']);
    const c = client(url);
    expect((await c.next(isHistory('live'))).points.map((p) => p.step)).toEqual([1]);
    appendFileSync(file, line(2, 0.5) + line(3, 0.25).slice(0, 20));
    const live = await c.next((m): m is PointsMessage => m.type === 'points' && m.run === 'live');
    expect(live.points.map((p) => p.step)).toEqual([2]);
    appendFileSync(file, line(3, 0.25).slice(20));
    await c.next((m) => m.type === 'points' && m.run === 'live' && m.points.some((p) => p.step === 3));
    writeFileSync(later, line(7, 0.1));
    await c.next((m) => m.type === 'points' && m.run === 'later' && m.points[0].step === 7);
    // A new run rewrites the file: its lines are another run.
    writeFileSync(file, line(1, 2));
    expect((await c.next(isRun('live~2'))).run.name).toBe(`${file} (rewritten 1×)`);
    await c.next((m) => m.type === 'points' && m.run === 'live~2' && m.points[0].loss === 2);
    expect(c.messages.some(isRun('live', 'done'))).toBe(true);
  });

  it('ends a run with a bad line with an error naming file:line, and says so on stderr', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `${line(1, 1)}{"loss": 3}\n`);
    const { cli, url } = await start(['dashboard', file, '--port', '0']);
    const c = client(url);
    const hello = await c.next((m) => m.type === 'hello');
    const info = hello.type === 'hello' ? hello.runs[0] : undefined;
    expect(info?.status).toBe('error');
    expect(info?.error).toContain(`Expected \`${file}:2\` a JSON object with a numeric \`step\``);
    expect(cli.output()).toContain(`${file}: Expected \`${file}:2\``);
  });

  it('fails before listening on a file that does not exist, and on a bad port', async () => {
    const missing = runCli(['dashboard', join(dir, 'nope.jsonl'), '--port', '0'], env);
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toContain(`error: Expected \`files\` jsonl files or folders that exist (--follow waits for a file), got "${join(dir, 'nope.jsonl')}"`);
    expect(missing.output()).not.toContain('rxgrad dashboard:');
    const port = runCli(['dashboard', '--port', '70000'], env);
    expect(await port.exited).toBe(1);
    expect(port.output()).toContain('--port: expected an integer in [0, 65535], got "70000"');
  });
});

describe('dashboard()', () => {
  it('reports a file whose run the server cannot add (beyond maxRuns running runs) and serves the others', async () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 65; i += 1) writeFileSync(join(many, `r${String(i).padStart(2, '0')}.jsonl`), line(1, 1));
    const errors: [string, string][] = [];
    const d = await dashboard([many], { port: 0, host: '127.0.0.1', token: 'test-token-123', follow: true, onError: (file, err) => errors.push([file, (err as Error).message]) });
    try {
      expect(d.server.infos).toHaveLength(64);
      expect(errors).toHaveLength(1);
      expect(errors[0][0]).toBe(join(many, 'r64.jsonl'));
      expect(errors[0][1]).toMatch(/maxRuns/);
    } finally {
      await d.close();
    }
  });
});

describe('the per-user token', () => {
  it('is the same across launches and for `rxgrad token`; --new-token rotates it; --token overrides it', async () => {
    const first = await start(['dashboard', '--port', '0']);
    const token = first.url.searchParams.get('token')!;
    await first.cli.stop();
    const second = await start(['dashboard', '--port', '0']);
    expect(second.url.searchParams.get('token')).toBe(token);
    const printed = runCli(['token', '--port', '9000'], env);
    expect(await printed.exited).toBe(0);
    expect(printed.output()).toBe(`http://127.0.0.1:9000/?token=${token}\ntoken file: ${join(dir, 'config', 'token')}\n`);
    // The open page (a client with the old token) is refused once the token is rotated.
    await second.cli.stop();
    const rotated = await start(['dashboard', '--port', '0', '--new-token']);
    const fresh = rotated.url.searchParams.get('token')!;
    expect(fresh).not.toBe(token);
    expect(readFileSync(join(dir, 'config', 'token'), 'utf8').trim()).toBe(fresh);
    const given = await start(['dashboard', '--port', '0', '--token', 'my-own-secret']);
    expect(given.url.searchParams.get('token')).toBe('my-own-secret');
    const both = runCli(['dashboard', '--token', 'my-own-secret', '--new-token'], env);
    expect(await both.exited).toBe(1);
    expect(both.output()).toContain('--token and --new-token exclude each other');
  });
});
