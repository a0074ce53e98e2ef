/**
 * The package as a user gets it: `npm pack` (which builds dist/ through `prepack`), the tarball
 * installed with its peers into an empty project, then run with plain `node` and type-checked
 * with `tsc` (strict, nodenext).
 *
 * 1. The pack runs in a copy of the package's files (node_modules linked), so its build never
 *    replaces the dist/ other tests read meanwhile.
 * 2. The peers are installed at the versions this repository uses, from npm's cache when it
 *    has them (`--prefer-offline`).
 * 3. The README's quick start (its first code block, types stripped by esbuild) runs with
 *    plain `node`, and again bundled into one file (rxgrad inlined) to check that the airfoil
 *    data still resolves through the package's exports.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'rxgrad-pack-'));
const app = join(work, 'app');
const installed = join(app, 'node_modules', 'rxgrad');

/** The version of `name` this repository has installed. */
const versionOf = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Run `node file` in the app and return everything it printed (stdout + stderr). */
function node(file: string, env: NodeJS.ProcessEnv = {}): string {
  return run('sh', ['-c', `"${process.execPath}" ${file} 2>&1`], app, env);
}

/** The README's quick start: the first ```ts block after "## Quick start". */
function quickStart(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```ts block under "## Quick start"');
  return block[1];
}

let tarball: string;

beforeAll(async () => {
  // 1. Pack a copy of the package (prepack builds it there).
  const pkg = join(work, 'pkg');
  mkdirSync(pkg);
  for (const entry of ['package.json', 'README.md', 'tsconfig.json', 'tsup.config.ts', 'src', 'streams', 'bin', 'demo', 'data', 'scripts']) {
    cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true, filter: (src) => !src.includes(`${join('demo', 'web', 'dist')}`) });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  // The build's own output comes first; npm's JSON report is the last thing printed.
  const report = run('npm', ['pack', '--json', '--pack-destination', work], pkg);
  const packed = JSON.parse(report.slice(report.search(/^\[$/m))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0].filename);
  writeFileSync(join(work, 'files.json'), JSON.stringify(packed[0].files.map((f) => f.path).sort()));

  // 2. An empty project installing the tarball and its peers.
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const peers = ['@tensorflow/tfjs', 'rxjs', '@types/node'].map((name) => `${name}@${versionOf(name)}`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...peers], app);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships dist (JS, .d.ts, maps, the CLI, the dashboard page), the data files and the README — no sources or tests', () => {
    const files = JSON.parse(readFileSync(join(work, 'files.json'), 'utf8')) as string[];
    for (const f of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/streams.js', 'dist/streams.d.ts', 'dist/rxgrad.js', 'dist/web/index.html', 'dist/web/app.js', 'data/airfoil_self_noise.dat']) {
      expect(files).toContain(f);
    }
    if (existsSync(join(ROOT, 'data', 'elec2.csv.gz'))) expect(files).toContain('data/elec2.csv.gz');
    expect(files.filter((f) => !/^(dist|data)\//.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs with one copy of tfjs (peer dependency) and nothing of ours bundled twice', () => {
    const tfjs = run('npm', ['ls', '--all', '--parseable', '@tensorflow/tfjs-core'], app).trim().split('\n');
    expect(tfjs).toEqual([join(app, 'node_modules', '@tensorflow', 'tfjs-core')]);
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
    // `rxgrad` and `rxgrad/streams` share their modules through chunks: one RxgradError class.
    const dist = readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.js'));
    expect(dist.filter((f) => readFileSync(join(installed, 'dist', f), 'utf8').includes('RxgradError = class'))).toHaveLength(1);
  });

  it("runs the README's quick start with plain node, and bundled into one file", async () => {
    const { code } = await transform(quickStart(), { loader: 'ts', format: 'esm' });
    writeFileSync(join(app, 'quickstart.mjs'), code);
    const out = node('quickstart.mjs');
    expect(out).not.toMatch(/already registered|Error/);
    const steps = out.split('\n').filter((l) => /^\d+ \d+ [\d.e-]+ 0\.01 [\d.e-]+$/.test(l));
    expect(steps.length).toBe(300);
    expect(steps[0]).toMatch(/^1 1 /);
    expect(steps[299]).toMatch(/^300 2 /);
    // The loss after two epochs of Adam is near the least-squares optimum 0.24169 (data/README.md) — not a diverged run.
    const last = Number(steps.at(-1)!.split(' ')[2]);
    expect(last).toBeGreaterThan(0.05);
    expect(last).toBeLessThan(1);

    await build({ entryPoints: [join(app, 'quickstart.mjs')], bundle: true, platform: 'node', format: 'esm', outfile: join(app, 'bundle', 'quickstart.mjs'), external: ['@tensorflow/*', 'rxjs', 'ws', 'commander'], logLevel: 'error', absWorkingDir: app });
    const bundled = node('bundle/quickstart.mjs');
    expect(bundled.split('\n').filter((l) => /^\d+ \d+ /.test(l))).toEqual(steps);
  });

  it('without the optional wasm peer: useBackend("wasm") fails naming the package to install, "auto" picks cpu', () => {
    writeFileSync(
      join(app, 'backend.mjs'),
      `import { useBackend } from 'rxgrad';
try { await useBackend('wasm'); } catch (e) { console.log(e.name, e.message); }
console.log(await useBackend('auto'));
`,
    );
    expect(node('backend.mjs').split('\n').filter((l) => l && !/^=+$|^Hi, looks like you are running TensorFlow.js/.test(l))).toEqual([
      'RxgradError Expected `backend` an installed @tensorflow/tfjs-backend-wasm for "wasm", got "wasm" (npm install @tensorflow/tfjs-backend-wasm)',
      'cpu',
    ]);
  });

  it('without the optional NATS peers: rxgrad/streams imports, and its NATS parts fail naming the packages to install', () => {
    writeFileSync(
      join(app, 'nats.mjs'),
      `import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { ensureStream, gradientUpdater, jetstream } from 'rxgrad/streams';
const servers = 'nats://127.0.0.1:4222';
const show = (e) => console.log(e.name, e.message);
await ensureStream({ servers }).catch(show);
await lastValueFrom(jetstream({ servers, durable: 'd', features: 2 })).catch(show);
await lastValueFrom(gradientUpdater({ servers, params: { w: tf.variable(tf.zeros([1])) }, staleness: { maxStaleness: 1 } })).catch(show);
`,
    );
    const missing =
      'RxgradError Expected `@nats-io/transport-node` an installed @nats-io/transport-node (an optional peer dependency of rxgrad, needed for NATS JetStream), got "not installed" (npm install @nats-io/transport-node @nats-io/jetstream @nats-io/kv @nats-io/obj)';
    expect(existsSync(join(app, 'node_modules', '@nats-io'))).toBe(false);
    expect(node('nats.mjs').split('\n').filter((l) => l && !/^=+$|^Hi, looks like you are running TensorFlow.js/.test(l))).toEqual([missing, missing, missing]);
  });

  it('type-checks a TypeScript consumer (strict, nodenext) against the shipped .d.ts', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      // A Node project: no DOM types.
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['consumer.ts'] }),
    );
    writeFileSync(
      join(app, 'consumer.ts'),
      `import * as tf from '@tensorflow/tfjs';
import { adam, linearRegression, RxgradError, type Transform } from 'rxgrad';
import { airfoil, minibatches, gradients, learningRate, optimize, applyUpdates, metricsServer, type StepResult } from 'rxgrad/streams';

const model = linearRegression(5, { seed: 1 });
const t: Transform<unknown> = adam({ lr: 0.01 });
const results: StepResult[] = [];
minibatches(airfoil(), { batchSize: 10, epochs: 1 })
  .pipe(gradients(model.loss, model.params), learningRate(0.01), optimize(t), applyUpdates(model.params))
  .subscribe((r) => results.push(r));
const loss: number = results[0].loss;
const err: Error = new RxgradError('lr', 'a number', 'x');
const server: Promise<{ url: string; close(): Promise<void> }> = metricsServer({ port: 0 });
const x: tf.Tensor = tf.scalar(loss);
// The types are real (not any): a wrong option is an error.
// @ts-expect-error lr must be a number or a schedule
adam({ lr: 'fast' });
export { err, server, x };
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '-p', app], app);
    // Our declarations themselves, checked too (tfjs's need the DOM and fail here: only ours count).
    const libCheck = spawnSync(process.execPath, [tsc, '-p', app, '--skipLibCheck', 'false'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(libCheck.stdout.split('\n').filter((l) => l.includes('node_modules/rxgrad/'))).toEqual([]);
  });

  it('serves the dashboard page from the installed package, in a script and through `npx rxgrad dashboard`', async () => {
    writeFileSync(
      join(app, 'serve.mjs'),
      `import { metricsServer } from 'rxgrad/streams';
const server = await metricsServer({ port: 0 });
const res = await fetch(server.url);
console.log(res.status, (await res.text()).includes('app.js'));
await server.close();
`,
    );
    expect(node('serve.mjs')).toBe('200 true\n');

    const config = join(work, 'config');
    const cli = spawn(join(app, 'node_modules', '.bin', 'rxgrad'), ['dashboard', '--port', '0'], { cwd: app, env: { ...process.env, RXGRAD_CONFIG_DIR: config }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address within 20 s:\n${out}`)), 20_000);
      cli.stdout.on('data', () => {
        const m = /rxgrad dashboard: (\S+)/.exec(out);
        if (m) (clearTimeout(timer), resolve(m[1]));
      });
      cli.on('exit', (code) => reject(new Error(`rxgrad exited (${code}):\n${out}`)));
    });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('app.js');
    expect(new URL(url).searchParams.get('token')).toBe(readFileSync(join(config, 'token'), 'utf8').trim());
    const exited = new Promise((resolve) => cli.on('exit', resolve));
    cli.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(run(join(app, 'node_modules', '.bin', 'rxgrad'), ['token'], app, { RXGRAD_CONFIG_DIR: config })).toContain(`?token=${new URL(url).searchParams.get('token')}`);
  });
});
