/**
 * `npm run bench:dashboard`: what the live dashboard costs.
 *
 * 1. Time to first point: `npm start` (and `node demo/start.mjs`, i.e. without npm's
 *    own start-up) from spawn to the address printed and to the first point reaching a
 *    WebSocket client; and, when Debian's Chromium is installed, to the first point shown on the
 *    page (browser already open). Medians of --starts runs.
 * 2. Training slowdown: the airfoil model (Adam, batch 10, 20 epochs = 3000 steps, yielding to
 *    the event loop every 5 ms as live runs do) with no sink, and with `wsMetrics` publishing to
 *    a server with 0, 1 and 20 connected clients (clients in another process, parsing every
 *    message, as browsers would). Interleaved rounds, medians, ratios against no sink, of the
 *    wall time and of the CPU time of the training process (which a loaded machine's other
 *    processes do not inflate).
 * 3. The sink's own cost, isolated: one run's results replayed through `wsMetrics` alone, CPU
 *    per point with 0, 1 and 20 clients minus the replay without it, as a share of a step.
 *
 * Options: --rounds N (default 15), --starts N (default 5), --skip-start.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { identity, lastValueFrom, tap, type MonoTypeOperatorFunction } from 'rxjs';
import { WebSocket } from 'ws';
import { adam } from '../src/index';
import { linearRegression } from '../src/models/linearRegression';
import { useBackend } from '../src/useBackend';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';
import { startDemo } from '../demo/startDemo';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { gradients } from '../streams/operators/gradients';
import { learningRate } from '../streams/operators/learningRate';
import { optimize } from '../streams/operators/optimize';
import { metricsServer, type MetricsServer } from '../streams/sinks/MetricsServer';
import { wsMetrics } from '../streams/sinks/wsMetrics';
import { airfoil } from '../streams/sources/airfoil';
import { drive } from '../streams/sources/drive';
import { minibatches } from '../streams/sources/minibatches';
import type { StepResult } from '../streams/Step';
import { median } from './measure';

const program = new Command()
  .name('bench:dashboard')
  .option('--rounds <n>', 'interleaved training rounds per variant', '15')
  .option('--starts <n>', 'starts of npm start to time', '5')
  .option('--skip-start', 'skip the time-to-first-point part')
  .parse();
const opts = program.opts<{ rounds: string; starts: string; skipStart?: boolean }>();
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** ms from spawning the demo to its address and to the first point at a WebSocket client. */
async function firstPoint(npm: boolean): Promise<{ address: number; point: number }> {
  const t0 = performance.now();
  const demo = await startDemo(['--port', '0'], { npm });
  const ws = new WebSocket(demo.url.replace(/^http/, 'ws').replace('/?', '/ws?'));
  const point = await new Promise<number>((resolve) =>
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if ((msg.type === 'points' || msg.type === 'history') && msg.points.length > 0) resolve(performance.now() - t0);
    }),
  );
  ws.close();
  await demo.stop();
  return { address: demo.startMs, point };
}

/** ms from spawning the demo to the first point shown by the page in Chromium (already open). */
async function firstPointInPage(): Promise<number[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const times: number[] = [];
  for (let i = 0; i < Number(opts.starts); i++) {
    const t0 = performance.now();
    const demo = await startDemo(['--port', '0']);
    await page.goto(demo.url, { waitUntil: 'commit' });
    await page.waitForFunction(() => /[1-9][\d,]* points?\b/.test(document.getElementById('summary')?.textContent ?? ''), null, { polling: 10 });
    times.push(performance.now() - t0);
    await demo.stop();
  }
  await browser.close();
  return times;
}

/** Connect `n` clients from a child process; resolves once all have their `hello`. */
function clients(url: string, n: number): Promise<() => void> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./dashboardClients.ts', import.meta.url).pathname, url, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout!.on('data', (d) => String(d).includes('ready') && resolve(() => child.kill('SIGTERM'))));
}

const data = airfoil();
const gc = (globalThis as { gc?: () => void }).gc;

/** One training run through `sink`: wall and CPU ms of this process (clients run elsewhere). */
async function train(sink: MonoTypeOperatorFunction<StepResult>): Promise<{ wall: number; cpu: number }> {
  gc?.();
  const model = linearRegression(5, { seed: 1 });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await lastValueFrom(
    minibatches(data, { batchSize: 10, epochs: 20, shuffle: true, seed: 1, yieldEveryMs: 5 }).pipe(
      gradients(model.loss, model.params),
      learningRate(0.01),
      optimize(adam()),
      applyUpdates(model.params),
      sink,
    ),
  );
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  model.dispose();
  return { wall, cpu: (c.user + c.system) / 1000 };
}

if (!opts.skipStart) {
  for (const npm of [true, false]) {
    const runs = [];
    for (let i = 0; i < Number(opts.starts); i++) runs.push(await firstPoint(npm));
    console.log(
      `${npm ? 'npm start' : 'node demo/start.mjs'}: address printed after ${median(runs.map((r) => r.address)).toFixed(0)} ms, ` +
        `first point at a WebSocket client after ${median(runs.map((r) => r.point)).toFixed(0)} ms (median of ${runs.length}; target ≤ 2000 ms)`,
    );
  }
  if (existsSync(CHROMIUM)) {
    const times = await firstPointInPage();
    console.log(`node demo/start.mjs: first point shown in Chromium after ${median(times).toFixed(0)} ms (median of ${times.length}; the page open and waiting)`);
  } else console.log(`(no Chromium at ${CHROMIUM}: page timing skipped)`);
}

console.log(`backend: ${await useBackend('cpu')}`);
silenceTfjsBanner();
const servers: MetricsServer[] = await Promise.all([metricsServer(), metricsServer(), metricsServer()]);
const [s0, s1, s20] = servers;
const stops = [await clients(s1.url, 1), await clients(s20.url, 20)];
let k = 0;
const sinkTo = (s: MetricsServer) => wsMetrics(s.run({ id: `bench-${k++}`, name: 'airfoil Adam' }));
const variants: Record<string, () => Promise<{ wall: number; cpu: number }>> = {
  'no sink': () => train(identity),
  'wsMetrics, 0 clients': () => train(sinkTo(s0)),
  'wsMetrics, 1 client': () => train(sinkTo(s1)),
  'wsMetrics, 20 clients': () => train(sinkTo(s20)),
};
const names = Object.keys(variants);
for (const n of names) await variants[n]();
const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < Number(opts.rounds); r++) {
  for (const n of r % 2 === 0 ? names : [...names].reverse()) {
    const t = await variants[n]();
    wall[n].push(t.wall);
    cpu[n].push(t.cpu);
  }
}
const baseWall = median(wall['no sink']);
const baseCpu = median(cpu['no sink']);
console.log(`training, airfoil Adam, 3000 steps, medians of ${opts.rounds} interleaved rounds${gc ? ' (gc between runs)' : ''}:`);
for (const n of names) {
  const w = median(wall[n]);
  const c = median(cpu[n]);
  console.log(
    `  ${n.padEnd(22)} wall ${w.toFixed(1)} ms (${((1000 * w) / 3000).toFixed(1)} µs/step) ×${(w / baseWall).toFixed(3)}   ` +
      `CPU of the training process ${c.toFixed(1)} ms ×${(c / baseCpu).toFixed(3)}`,
  );
}
// The sink's own cost per point, isolated: the results of one training run replayed through the
// sink alone (yielding every 5 ms like the training loop), CPU time minus the same replay without it.
const sample: StepResult[] = [];
{
  const model = linearRegression(5, { seed: 1 });
  await lastValueFrom(
    minibatches(data, { batchSize: 10, epochs: 2, shuffle: true, seed: 1 }).pipe(
      gradients(model.loss, model.params),
      learningRate(0.01),
      optimize(adam()),
      applyUpdates(model.params),
      tap((r) => sample.push(r)),
    ),
  );
  model.dispose();
}
async function replay(sink: MonoTypeOperatorFunction<StepResult>, n = 30_000): Promise<number> {
  gc?.();
  const c0 = process.cpuUsage();
  await lastValueFrom(drive(() => {
    let i = 0;
    return () => (i < n ? { ...sample[i % sample.length], step: ++i, wallTime: Date.now() } : undefined);
  }, { yieldEveryMs: 5 }).pipe(sink));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}
const perStep = (1000 * median(cpu['no sink'])) / 3000;
const costs: Record<string, number[]> = { none: [], '0 clients': [], '1 client': [], '20 clients': [] };
for (let r = 0; r < 7; r++) {
  costs.none.push(await replay(identity));
  costs['0 clients'].push(await replay(sinkTo(s0)));
  costs['1 client'].push(await replay(sinkTo(s1)));
  costs['20 clients'].push(await replay(sinkTo(s20)));
}
const none = median(costs.none);
console.log(`the sink alone, CPU per point (replayed results, medians of 7 × 30,000), against ${perStep.toFixed(1)} µs of CPU per training step:`);
for (const n of ['0 clients', '1 client', '20 clients']) {
  const extra = median(costs[n]) - none;
  console.log(`  wsMetrics, ${n.padEnd(10)} +${extra.toFixed(2)} µs per point = ${((100 * extra) / perStep).toFixed(2)}% of a step`);
}
for (const stop of stops) stop();
await Promise.all(servers.map((s) => s.close()));
