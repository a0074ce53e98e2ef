/**
 * End to end, in a real browser: `npm start` (demo/main.ts), Debian's Chromium driven by
 * playwright-core (never a downloaded browser). Without Chromium this file is skipped with a
 * plain message — except under CI=true, where a missing browser fails the run.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as tf from '@tensorflow/tfjs';
import { from, map, Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo, type RunningDemo } from '../../demo/startDemo';
import { formatNumber } from '../../demo/web/formatNumber';
import { adam, sgd } from '../../src/index';
import { swappable } from '../../src/swappable';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { tinyStep } from '../helpers';
import type { StepResult } from '../../streams/Step';
import { metricsServer } from '../../streams/sinks/MetricsServer';
import { wsMetrics } from '../../streams/sinks/wsMetrics';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const SCREENSHOT = process.env.SCREENSHOT ?? 'test-results/dashboard.png';
const TOKEN = 'e2e-token-0123456789';
/** The airfoil run that lasts longest (batch 1, 3000 steps): the one we steer. */
const STEERED = 'tr[data-run^="airfoil-sgd-lr-0.005-batch-1"]';

if (!haveChromium && !inCi) {
  console.warn(`\n*** Chromium not found at ${CHROMIUM}: skipping the browser end-to-end test (test/e2e/dashboard.test.ts).\n*** Install it with: apt-get install -y chromium\n`);
}

if (!haveChromium && inCi) {
  it('has Chromium (required under CI=true)', () => {
    expect.fail(`no Chromium at ${CHROMIUM}: under CI=true the browser test must run (apt-get install -y chromium)`);
  });
}

/** `expect.poll` with room for a loaded machine (CI runs other test files beside this one). */
const poll = <T>(fn: () => T | Promise<T>, timeout = 20_000) => expect.poll(fn, { timeout, interval: 50 });

describe.skipIf(!haveChromium)('dashboard in Chromium (npm start)', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let t0 = 0;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    t0 = performance.now();
    demo = await startDemo(['--port', '0', '--token', TOKEN]);
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  const row = () => page.locator(STEERED);
  const stepOf = async () => Number(await row().locator('td.step').textContent());

  it('shows the runs live, the first point soon after start', async () => {
    await page.goto(demo.url);
    await page.locator('#connection.live').waitFor();
    await page.waitForFunction(() => /[1-9][\d,]* points?\b/.test(document.getElementById('summary')?.textContent ?? ''));
    const firstPointMs = performance.now() - t0;
    console.log(`e2e: address printed after ${demo.startMs.toFixed(0)} ms, first point on the page ${firstPointMs.toFixed(0)} ms after start`);
    // The chapter's 17 traces and 12 airfoil runs (and whatever other groups npm start shows).
    await poll(() => page.locator('section[data-group="trace"] table.runs tbody tr[data-run]').count()).toBe(17);
    await poll(() => page.locator('section[data-group="airfoil"] table.runs tbody tr[data-run]').count()).toBe(12);
    // The contours of both test functions and the loss charts are drawn.
    expect(await page.locator('canvas').count()).toBeGreaterThanOrEqual(2);
    await page.locator('[data-metric="loss"] .u-over').first().waitFor();
    await poll(stepOf).toBeGreaterThan(0);
    await poll(() => row().locator('.badge').textContent()).toBe('running');
  });

  it('moves the learning-rate slider and sees the run report the new lr', async () => {
    expect(await row().locator('td.lr').textContent()).toBe('0.005');
    // log10(0.02) = −1.699, the slider's 0.01 grid gives 10^−1.70 = 0.01995.
    await row().locator('input.lr-slider').fill('-1.70');
    await page.locator('.toast', { hasText: 'lr = 0.01995 for airfoil-sgd-lr-0.005-batch-1' }).waitFor();
    await poll(() => row().locator('td.lr').textContent()).toBe('0.01995');
  });

  it('pauses and resumes the run', async () => {
    await row().locator('button.pause').click();
    await poll(() => row().locator('.badge').textContent()).toBe('paused');
    // Points already on their way may still land: wait until the step holds still, then watch it.
    let paused = await stepOf();
    await poll(async () => {
      await page.waitForTimeout(400);
      const now = await stepOf();
      const still = now === paused;
      paused = now;
      return still;
    }).toBe(true);
    await page.waitForTimeout(1000);
    expect(await stepOf()).toBe(paused);
    await row().locator('button.pause').click();
    await poll(() => row().locator('.badge').textContent()).toBe('running');
    await poll(stepOf).toBeGreaterThan(paused);
  });

  it('restarts a finished run with an edited hyperparameter as a new run', async () => {
    const gd = page.locator('tr[data-run="trace-1-gd-0.1"]');
    await poll(() => gd.locator('.badge').textContent()).toBe('done');
    await gd.locator('button.restart').click();
    const form = page.locator('tr.restart-form:not([hidden])');
    await form.locator('input[name="lr"]').fill('0.3');
    await form.locator('button.primary').click();
    const restarted = page.locator('tr[data-run="trace-1-gd-0.1~2"]');
    await poll(() => restarted.locator('td.name').textContent()).toContain('↻2 (lr=0.3)');
    await poll(() => restarted.locator('td.lr').textContent()).toBe('0.3');
  });

  it("shows the optimizer's state of the airfoil runs as band charts, and the Adam run's optimizer select", async () => {
    const group = page.locator('section[data-group="airfoil"]');
    // Every 10 steps the airfoil runs report inspectOptimizer's numbers: a band chart per quantity and parameter.
    for (const key of ['stepSize.w', 'mAbs.w', 'updateRatio.w', 'stepSize.b']) await group.locator(`.band-chart[data-inspect="${key}"] .u-over`).waitFor();
    expect(await group.locator('.band-chart[data-inspect="stepSize.w"]').evaluate((el) => el.parentElement!.querySelector('h3')!.textContent)).toContain('step size η/(√v̂+ε) · w');
    // Adam's run lists its optimizers, Adam in force; no other airfoil run has the select.
    const adam = group.locator('tr[data-run="airfoil-adam-lr-0.01"]');
    expect(await adam.locator('select.optimizer option').allTextContents()).toEqual(['adam', 'sgd']);
    expect(await adam.locator('select.optimizer').inputValue()).toBe('adam');
    expect(await group.locator('select.optimizer').count()).toBe(1);
  });

  it('swaps a running optimizer from its select: the table and a vertical line show it; a wrong name is rejected', async () => {
    // A swappable run of our own, stepped by the test: w = [1], loss = 2·w (g = 2), Adam then SGD.
    const server = await metricsServer({ port: 0, token: TOKEN });
    const swapPage = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    swapPage.on('pageerror', (e) => pageErrors.push(e.message));
    const steps = new Subject<number>();
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const opt = swappable({ adam: adam({ lr: 0.1 }), sgd: sgd({ lr: 0.1, momentum: 0.9 }) });
    try {
      server.launch({ id: 'swap', name: 'Adam → SGD', group: 'swap', optimizers: opt.names }, (controls) =>
        steps.pipe(
          map((k) => tinyStep(k)),
          gradients((p) => tf.tidy(() => p.w.mul(2).sum()) as tf.Scalar, { w }),
          optimize(opt, { switchTo: controls.optimizer, inspect: { every: 1 } }),
          applyUpdates({ w }),
        ),
      );
      await swapPage.goto(server.url);
      const row = swapPage.locator('tr[data-run="swap"]');
      for (const k of [1, 2, 3]) steps.next(k);
      await poll(() => row.locator('td.step').textContent()).toBe('3');
      expect(await row.locator('select.optimizer').inputValue()).toBe('adam');
      await swapPage.locator('.band-chart[data-inspect="stepSize.w"] .u-over').waitFor();
      await row.locator('select.optimizer').selectOption('sgd');
      await swapPage.locator('.toast', { hasText: 'optimizer sgd for swap from its next step' }).waitFor();
      for (const k of [4, 5, 6]) steps.next(k);
      // Step 4 is SGD's first: the select and the note say so, and the charts draw the swap there.
      await poll(() => row.locator('.optimizer-since').textContent()).toBe('since step 4');
      expect(await row.locator('select.optimizer').inputValue()).toBe('sgd');
      await poll(() => swapPage.locator('[data-metric="loss"] .marks').textContent()).toBe('vertical lines: → sgd @ 4');
      const rejected = await swapPage.evaluate(async (url) => {
        const ws = new WebSocket(url.replace('http', 'ws').replace('/?', '/ws?'));
        const reply = new Promise<string>((resolve) => (ws.onmessage = (e) => { const m = JSON.parse(String(e.data)); if (m.type === 'reject') resolve(m.reason); }));
        await new Promise((r) => (ws.onopen = r));
        ws.send(JSON.stringify({ type: 'optimizer', run: 'swap', name: 'lion', id: 1 }));
        const reason = await reply;
        ws.close();
        return reason;
      }, server.url);
      expect(rejected).toBe('Expected `name` one of the run\'s optimizers (adam, sgd), got "lion"');
      expect(pageErrors).toEqual([]);
    } finally {
      steps.complete();
      await swapPage.close();
      await server.close();
      w.dispose();
    }
  });

  it("shows each run's value under the cursor in the chart's legend and a tooltip", async () => {
    // Every trace done: the x axis spans steps 1–50 (the SGD runs' 50 steps).
    await poll(() => page.locator('section[data-group="trace"] tr[data-run] .badge', { hasNotText: 'done' }).count()).toBe(0);
    await page.locator('#smoothing').fill('0'); // raw values: the legend shows the losses themselves
    const chart = page.locator('section[data-group="trace"] [data-metric="loss"]');
    const gd = chart.locator('.legend .item[data-run="trace-1-gd-0.1"] .value');
    // GD η = 0.1 on f(x) = x1² + 2x2² from (−5, −2): ∇f = (2x1, 4x2), so x_k = (−5·0.8^k, −2·0.6^k),
    // and the loss reported at step k is f(x_{k−1}) = 25·0.64^(k−1) + 8·0.36^(k−1).
    const f = (k: number) => 25 * 0.64 ** (k - 1) + 8 * 0.36 ** (k - 1);
    // The cursor elsewhere: the latest value (step 20).
    await poll(() => gd.textContent()).toBe(formatNumber(f(20)));
    const over = chart.locator('.u-over');
    const { width, height } = (await over.boundingBox())!;
    await over.hover({ position: { x: 1, y: height / 2 } });
    // At the left edge, step 1: f(x0) = 25 + 8 = 33.
    await poll(() => gd.textContent()).toBe('33');
    expect(await chart.locator('.legend').getAttribute('class')).toContain('at-cursor');
    const tip = chart.locator('.tooltip');
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.locator('.x').textContent()).toBe('step 1');
    expect(await tip.locator('tr', { hasText: /^GD η=0\.1 on/ }).first().locator('td').nth(2).textContent()).toBe('33');
    // Step 3, 2/49 of the way from step 1 to the last step shown (50, the SGD runs): f(x2) = 10.24 + 1.0368.
    await over.hover({ position: { x: (2 / 49) * width, y: height / 2 } });
    await poll(() => gd.textContent()).toBe(formatNumber(f(3)));
    // SGD's loss f(x) + nᵀx goes below 0: this chart cannot be logarithmic, it is linear and says so.
    expect(await chart.locator('.scale-note').textContent()).toBe('linear scale: some values ≤ 0');
    await page.mouse.move(0, 0);
    await poll(() => gd.textContent()).toBe(formatNumber(f(20)));
    expect(await tip.isVisible()).toBe(false);
    await page.locator('#smoothing').fill('0.6');
  });

  it('focuses a run from a legend or the table (the others fade), and compares only the ticked runs', async () => {
    const group = page.locator('section[data-group="airfoil"]');
    const chart = group.locator('[data-metric="loss"]');
    const adam = await group.locator('tr[data-run^="airfoil-adam"]').getAttribute('data-run');
    const legendItem = chart.locator(`.legend .item[data-run="${adam}"]`);
    await legendItem.click();
    await poll(() => group.locator(`tr[data-run="${adam}"]`).getAttribute('class')).toContain('focused');
    const charts = await group.locator('.chart').count();
    // In every chart of the group: Adam focused, every other run faded.
    await poll(() => group.locator('.chart .legend .item.focused').count()).toBe(charts);
    expect(await group.locator(`.chart .legend .item.focused:not([data-run="${adam}"])`).count()).toBe(0);
    expect(await group.locator('.chart .legend .item:not(.faded):not(.focused)').count()).toBe(0);
    // Hidden, the focused run fades nothing; shown again, it has the focus again.
    await group.locator(`tr[data-run="${adam}"] td.vis input`).uncheck();
    await poll(() => group.locator('.chart .legend .item.faded').count()).toBe(0);
    await group.locator(`tr[data-run="${adam}"] td.vis input`).check();
    await poll(() => group.locator('.chart .legend .item.focused').count()).toBe(charts);
    // Clicking its name in the table clears the focus.
    await group.locator(`tr[data-run="${adam}"] td.name`).click();
    await poll(() => group.locator('.chart .legend .item.faded').count()).toBe(0);
    expect(await group.locator(`tr[data-run="${adam}"]`).getAttribute('class')).not.toContain('focused');
    // The ticked runs are the ones compared: unticked, a run leaves every legend.
    await group.locator(`tr[data-run="${adam}"] td.vis input`).uncheck();
    await poll(() => legendItem.count()).toBe(0);
    await group.locator(`tr[data-run="${adam}"] td.vis input`).check();
    await poll(() => legendItem.count()).toBe(1);
  });

  it('downloads every run as CSV, and hides a run from the charts', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(csv[0].startsWith('run,name,step,epoch,wallTime,loss,lr,')).toBe(true);
    const runs = new Set(csv.slice(1).map((line) => line.split(',')[0]));
    // Every run with a point so far (29 of the chapter, the restarted one, the online runs that have started).
    const withPoints = await page.locator('table.runs tbody tr[data-run] td.step').evaluateAll((tds) => tds.filter((td) => td.textContent !== '–').length);
    expect(withPoints).toBeGreaterThanOrEqual(30);
    expect(runs.size).toBe(withPoints);
    await row().locator('td.vis input').uncheck();
    await poll(() => row().getAttribute('class')).toContain('hidden-run');
    await row().locator('td.vis input').check();
  });

  it("ignores outliers: the airfoil loss chart's y range narrows with the toggle; no two runs of a chart share colour and dash", async () => {
    const plot = page.locator('section[data-group="airfoil"] [data-metric="loss"] .plot');
    // The range as max / min (the chart is on a log scale): how many decades the runs must share.
    const spread = async () => {
      const [min, max] = await Promise.all([plot.getAttribute('data-y-min'), plot.getAttribute('data-y-max')]);
      return Number(max) / Number(min);
    };
    expect(await page.locator('#robust').isChecked()).toBe(true);
    await poll(spread).toBeGreaterThan(1);
    const robust = await spread();
    // Without it, the batch-1 SGD run's noisy loss sets the range and squeezes the others.
    await page.locator('#robust').uncheck();
    await poll(spread).toBeGreaterThan(10 * robust);
    await page.locator('#robust').check();
    await poll(spread).toBeLessThan(2 * robust);
    // Metric charts (the optimizer-state band charts draw one run's quantiles in one colour).
    for (const legend of await page.locator('section[data-group="airfoil"] .chart .legend').all()) {
      const styles = await legend.locator('.item').evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.style));
      expect(new Set(styles).size).toBe(styles.length);
    }
  });

  it('switches the x axis, smoothing, log scale and outlier scaling without errors, and saves a screenshot', async () => {
    await page.selectOption('#x-axis', 'epoch');
    await page.locator('#smoothing').fill('0.8');
    await page.locator('#log-scale').uncheck();
    await page.locator('#robust').uncheck();
    await page.waitForTimeout(300);
    await page.locator('#log-scale').check();
    await page.locator('#robust').check();
    await page.selectOption('#x-axis', 'step');
    await page.locator('#smoothing').fill('0.6');
    // The picture: both groups' charts, the airfoil table open, the 2-D one folded.
    await page.locator('section[data-group="trace"] summary').click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(1500);
    // The whole page in the viewport, the cursor on the airfoil full-data loss: legend values and tooltip.
    const full = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: 1440, height: full });
    const over = page.locator('section[data-group="airfoil"] [data-metric="info.fullLoss"] .u-over');
    const box = (await over.boundingBox())!;
    await over.hover({ position: { x: box.width * 0.22, y: box.height * 0.6 } });
    await page.waitForTimeout(300);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.mouse.move(0, 0);
    await page.setViewportSize({ width: 1440, height: 1000 });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    expect(pageErrors).toEqual([]);
  });

  it('shows an online run by examples seen: its metric beside the baselines, drifts as vertical lines, the ingest counters', async () => {
    // A fake test-then-train run of 40 steps of 10 examples, published through a server of its own.
    const point = (k: number): StepResult => ({
      step: k, epoch: 1, loss: 0.5, lr: 0.1, hyper: { lr: 0.1 }, gradNorm: 1, updateNorm: 0.1, size: 10, examples: 10 * k, time: 1, wallTime: 1_700_000_000_000 + k, info: {},
      online: {
        metrics: { 'rolling.accuracy': 0.5 + k / 100, accuracy: 0.5 + k / 200 },
        baselines: { noChange: { 'rolling.accuracy': 0.6, accuracy: 0.6 }, majority: { 'rolling.accuracy': 0.55, accuracy: 0.55 } },
        // A durable source's counters too (jetstream): the consumer's backlog shrinks as it trains.
        ingest: { received: 10 * k + 5, queued: 5, trained: 10 * k, dropped: 2, rejected: 1, lastReason: 'x[3]: NaN', lag: 40, acked: 10 * k - 10, redelivered: 3, duplicates: 2, deadLettered: 1, ackPending: 15, consumerPending: 1000 - 10 * k },
        pending: 0,
        drifts: k >= 20 ? 1 : 0,
        driftEvents: k === 20 ? [{ step: 20, examples: 200, detector: 'adwin', status: 'drift', statistic: 0.2 }] : [],
      },
    });
    const server = await metricsServer({ port: 0, token: TOKEN });
    const online = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    online.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      const run = server.run({ id: 'online-fake', name: 'logistic (fake stream)', group: 'online', config: { model: 'logistic' } });
      from(Array.from({ length: 40 }, (_, i) => point(i + 1))).pipe(wsMetrics(run)).subscribe();
      await online.goto(server.url);
      await online.locator('#smoothing').fill('0'); // the values themselves in legends and tooltips
      const group = online.locator('section[data-group="online"]');
      // The rolling metric comes first, then the cumulative one, then the usual charts.
      await poll(() => group.locator('.chart').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.metric))).toEqual(['online.rolling.accuracy', 'online.accuracy', 'loss', 'lr']);
      const chart = group.locator('[data-metric="online.rolling.accuracy"]');
      // The model and both baselines, with their latest values (step 40: 0.5 + 40/100).
      await poll(() => chart.locator('.legend .item').allTextContents()).toEqual(['logistic (fake stream)0.9', 'noChange · logistic (fake stream)0.6', 'majority · logistic (fake stream)0.55']);
      expect(await chart.locator('.legend .item svg line').nth(1).getAttribute('stroke-dasharray')).toBe('6 4');
      expect(await chart.locator('.marks').textContent()).toBe('vertical lines: adwin @ 200');
      // Under the cursor at 200 examples (x from 10 to 400): step 20's values, by examples seen.
      const over = chart.locator('.u-over');
      const { width, height } = (await over.boundingBox())!;
      await over.hover({ position: { x: ((200 - 10) / 390) * width, y: height / 2 } });
      await poll(() => chart.locator('.tooltip .x').textContent()).toBe('examples 200');
      expect(await chart.locator('.legend .item').first().locator('.value').textContent()).toBe('0.7');
      const counters = group.locator('tr[data-run="online-fake"] td.extra');
      expect(await counters.locator('.metric').textContent()).toBe('rolling.accuracy 0.9 (noChange 0.6, majority 0.55)');
      expect(await counters.locator('.ingest').textContent()).toBe('received 405 · dropped 2 · rejected 1 · lag 40 ms · pending 0 · drifts 1 · last rejected: x[3]: NaN');
      expect(await counters.locator('.durable').textContent()).toBe('consumer lag 600 · ack pending 15 · acked 390 · redelivered 3 · duplicates 2 · dead-lettered 1');
      expect(pageErrors).toEqual([]);
    } finally {
      await online.close();
      await server.close();
    }
  });

  it('shows the lost connection, stops cleanly on Ctrl-C, and reconnects to a new server', async () => {
    const port = new URL(demo.url).port;
    expect(await demo.stop()).toBe(0);
    expect(demo.output()).toContain('stopped');
    await page.locator('#connection.retrying').waitFor();
    demo = await startDemo(['--port', port, '--token', TOKEN, '--only', 'trace-1-adam']);
    await page.locator('#connection.live').waitFor({ timeout: 20_000 });
    await poll(() => page.locator('table.runs tbody tr[data-run]').count()).toBe(1);
  });
});
