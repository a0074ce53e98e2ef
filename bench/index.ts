/**
 * `npm run bench`: every benchmark side by side with its baseline in one run, as ratios.
 * Options: --backend cpu|wasm|tensorflow|auto (default cpu), --rounds N (optimizer comparison,
 * default 15), --pipeline-rounds N (lockstep epochs, default 201; a third as many alternating
 * epochs), --fused auto|true|false (the rxgrad optimizers' mode; default auto), --sizes
 * 1e3,1e5,1e6, --skip-pipeline, --skip-optimizers, --in-place-sizes 1e3,1e4,1e5,1e6,1e7 and
 * --in-place-rounds N (the in-place table: JS and SIMD kernels vs a plain-JS loop and tf.train.*,
 * default 5 rounds), --skip-in-place, --online (only the online benchmark: logistic
 * regression test-then-train, batch 1, vs a plain-JS loop; --online-rounds N, default 7;
 * --online-examples N rows of the long stream, default 20000; --online-short N, default 2000), --mlp (only the MLP 784-256-10 Adam step on the
 * auto backend against rxgrad's step before `dense`; --mlp-rounds N, default 7), --torch (only
 * PyTorch beside rxgrad on the same workloads; --python <cmd>, default python3, else /usr/bin/python3
 * when python3 cannot import torch), --cold (only the
 * cold-start measurement: the airfoil pipeline's first 300 steps in fresh Node processes against
 * warm; --cold-processes N, default 5), --skip-cold.
 */
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { useBackend, type BackendName } from '../src/useBackend';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';
import { FUSED_BACKENDS, fusedMode } from '../src/kernels/useFused';
import { benchFastPath, benchPipeline, type PipelineFigures } from './pipeline';
import { benchInPlace, benchOptimizers } from './optimizers';
import { benchOnline, onlineReport } from './online';
import { benchMlp } from './mlp';
import { benchColdStart } from './coldStart';
import { AIRFOIL_OPTIMIZERS, adamUpdate, airfoilStep, torchFigures } from './torch';

const program = new Command()
  .name('bench')
  .option('--backend <name>', 'tfjs backend: cpu, wasm, tensorflow or auto', 'cpu')
  .option('--rounds <n>', 'interleaved rounds per optimizer comparison (medians are reported)', '15')
  .option('--pipeline-rounds <n>', 'lockstep epochs of the pipeline comparison (a third as many alternating epochs)', '201')
  .option('--fused <mode>', "rxgrad optimizers' fused mode: auto, true or false", 'auto')
  .option('--sizes <list>', 'parameter counts of the optimizer comparison', '1e3,1e5,1e6')
  .option('--skip-pipeline', 'skip the pipeline comparison')
  .option('--skip-optimizers', 'skip the optimizer comparison')
  .option('--in-place-sizes <list>', 'parameter counts of the in-place update comparison (adam, momentum)', '1e3,1e4,1e5,1e6,1e7')
  .option('--in-place-rounds <n>', 'interleaved rounds of the in-place comparison (medians are reported)', '5')
  .option('--skip-in-place', 'skip the in-place update comparison')
  .option('--online', 'only the online benchmark (logistic regression, 100 features, batch 1, test-then-train)')
  .option('--online-rounds <n>', 'interleaved rounds of the online benchmark (medians are reported)', '7')
  .option('--online-examples <n>', 'rows of the long stream rxgrad runs over per round (the plain loop does ~200,000 examples)', '20000')
  .option('--online-short <n>', 'rows of the short stream (its own rows of the table, and the fresh process\'s first run)', '2000')
  .option('--mlp', "only the MLP benchmark (784-256-10, batch 128, Adam): the auto backend against rxgrad's step before dense")
  .option('--mlp-rounds <n>', 'interleaved rounds of the MLP benchmark (medians are reported)', '7')
  .option('--torch', "only PyTorch's times (bench/torch_bench.py, one thread) beside rxgrad's on the same workloads")
  .option('--python <cmd>', 'the Python that runs bench/torch_bench.py (default: python3, else /usr/bin/python3 where python3 has no torch)')
  .option('--cold', "only the cold-start measurement (the airfoil pipeline's first 300 steps in fresh Node processes vs warm)")
  .option('--cold-processes <n>', 'fresh processes of the cold-start measurement (medians are reported)', '5')
  .option('--skip-cold', 'skip the cold-start measurement')
  .parse();
const opts = program.opts<{
  backend: BackendName;
  rounds: string;
  pipelineRounds: string;
  fused: string;
  sizes: string;
  skipPipeline?: boolean;
  skipOptimizers?: boolean;
  inPlaceSizes: string;
  inPlaceRounds: string;
  skipInPlace?: boolean;
  online?: boolean;
  onlineRounds: string;
  onlineExamples: string;
  onlineShort: string;
  mlp?: boolean;
  mlpRounds: string;
  torch?: boolean;
  python?: string;
  cold?: boolean;
  coldProcesses: string;
  skipCold?: boolean;
}>();
const rounds = Number(opts.rounds);
const fused = fusedMode(({ true: true, false: false } as Record<string, boolean>)[opts.fused] ?? opts.fused);
console.log(`backend: ${await useBackend(opts.backend)}, fused: ${fused}`);
silenceTfjsBanner();

if (opts.online) {
  const onlineRounds = Number(opts.onlineRounds);
  const f = await benchOnline(onlineRounds, Number(opts.onlineExamples), Number(opts.onlineShort));
  for (const line of onlineReport(f, onlineRounds)) console.log(line);
}

const only = opts.online || opts.mlp || opts.torch || opts.cold;

if (opts.mlp) {
  const mlpRounds = Number(opts.mlpRounds);
  const m = await benchMlp(mlpRounds, await useBackend('auto'));
  console.log(`MLP 784-256-10, batch 128, Adam, one step (medians of ${mlpRounds} interleaved rounds of 5 steps):`);
  console.log(`  rxgrad, auto backend (${m.backend}): ${m.ours.toFixed(2)} ms/step; rxgrad's step before dense (wasm, tfjs's matMul gradients): ${m.before.toFixed(2)} ms/step; ratio ${m.ratio.toFixed(3)}× (target ≤ 0.35×)`);
}

if (opts.torch) {
  const torchRounds = Number(opts.mlpRounds);
  const sizes = [1e3, 1e4, 1e5, 1e6, 1e7];
  // Without --python: python3 on the PATH, else the system's (a distribution's python3-torch
  // installs there while a version manager's python3 may come first on the PATH).
  const notes: string[] = [];
  let torch: ReturnType<typeof torchFigures> = '';
  let python = '';
  for (python of opts.python ? [opts.python] : ['python3', '/usr/bin/python3']) {
    torch = torchFigures(python, ['airfoil', 'online', 'adam', 'mlp'], torchRounds);
    if (typeof torch !== 'string') break;
    notes.push(torch);
  }
  if (typeof torch === 'string') console.log(notes.join('\n'));
  else {
    const backend = tf.getBackend();
    const ours: [string, string, number, string][] = [
      ['airfoil step, SGD, batch 10 (ms)', 'airfoil-sgd', await airfoilStep(AIRFOIL_OPTIMIZERS.sgd, torchRounds), backend],
      ['airfoil step, Adam, batch 10 (ms)', 'airfoil-adam', await airfoilStep(AIRFOIL_OPTIMIZERS.adam, torchRounds), backend],
      ['online logistic, 100 features, batch 1 (examples/s)', 'online-logistic', (await benchOnline(torchRounds, Number(opts.onlineExamples), Number(opts.onlineShort))).rxgrad, backend],
    ];
    for (const size of sizes) ours.push([`Adam update, ${size.toExponential(0)} values (ms)`, `adam-${size.toExponential(0).replace('+', '')}`, await adamUpdate(size, torchRounds), backend]);
    const mlp = await benchMlp(torchRounds, await useBackend('auto'));
    ours.push(['MLP 784-256-10, batch 128, Adam (ms)', 'mlp', mlp.ours, mlp.backend]);
    console.log(`rxgrad beside PyTorch ${torch.version} (${python}, 1 thread), medians of ${torchRounds} rounds each; ratio = rxgrad time / PyTorch time (for examples/s, PyTorch / rxgrad):`);
    console.log(`${'workload'.padEnd(54)}${'rxgrad'.padStart(12)}${'backend'.padStart(9)}${'PyTorch'.padStart(12)}${'ratio'.padStart(9)}`);
    for (const [label, key, value, on] of ours) {
      const theirs = torch.figures[key];
      const ratio = key === 'online-logistic' ? theirs / value : value / theirs;
      const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));
      console.log(`${label.padEnd(54)}${fmt(value).padStart(12)}${on.padStart(9)}${fmt(theirs).padStart(12)}${`${ratio.toFixed(2)}×`.padStart(9)}`);
    }
  }
}

if (!opts.skipPipeline && !only) {
  const epochs = Number(opts.pipelineRounds);
  const alternating = Math.ceil(epochs / 3);
  const p = await benchPipeline(epochs, alternating);
  const line = (what: string, f: PipelineFigures) =>
    `pipeline, airfoil minibatch SGD (batch 10), ${what} (medians): rxgrad ${f.rxgrad.toFixed(4)} ms/step, hand-written tfjs ${f.tfjs.toFixed(4)} ms/step, ratio ${f.ratio.toFixed(3)}× (target ≤ 1.02×)`;
  console.log(line(`${epochs} lockstep epochs`, p.lockstep));
  console.log(line(`${alternating} alternating epochs`, p.alternating));
  const f = await benchFastPath(Math.max(15, Math.ceil(epochs / 6)));
  const ms = (v: number) => `${(v * 1000).toFixed(1)} µs`;
  console.log(`airfoil step (linear regression, batch 10, SGD), whole pipeline, interleaved epochs (medians; fused path taken: ${f.fused}): fast path ${ms(f.fast)}, fast: false ${ms(f.general)}, hand-written tfjs ${ms(f.tfjs)}, plain JS ${ms(f.plain)}`);
  console.log(`  fast/plain ${f.fastVsPlain.toFixed(1)}× (target ≤ 5×), fast/tfjs ${f.fastVsTfjs.toFixed(3)}× (target ≤ 0.1×), fast: false/plain ${f.generalVsPlain.toFixed(1)}×`);
  console.log(`  by CPU time: fast/plain ${f.cpu.fastVsPlain.toFixed(1)}×, fast/tfjs ${f.cpu.fastVsTfjs.toFixed(3)}×, fast: false/plain ${f.cpu.generalVsPlain.toFixed(1)}×`);
}

if (opts.cold || (!opts.skipCold && !only)) {
  const c = await benchColdStart(Number(opts.coldProcesses), 300, 20, tf.getBackend());
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs/step`;
  console.log(
    `\ncold start, airfoil pipeline (minibatches → gradients → learningRate → optimize(sgd) → applyUpdates, batch 10): the first ${c.steps} steps of a fresh Node process vs the same steps warm in that process (medians of ${c.processes} processes; ratios paired per process)`,
  );
  console.log(`  wall time: cold ${us(c.coldMs)} (first step ${c.firstMs.toFixed(2)} ms, of which building the pipeline ${c.buildMs.toFixed(2)} ms; then ${us(c.restMs)}), warm ${us(c.warmMs)}: cold/warm ${c.ratio.toFixed(2)}× (target ≤ 3×)`);
  console.log(`  CPU time:  cold ${us(c.coldCpuMs)}, warm ${us(c.warmCpuMs)}: cold/warm ${c.cpuRatio.toFixed(2)}×`);
  console.log(`  before the first step (not in the ratio): imports ${Math.round(c.importMs)} ms (tfjs, rxjs, rxgrad, rxgrad/streams), backend and data ${Math.round(c.setupMs)} ms`);
}

if (!opts.skipOptimizers && !only) {
  const sizes = opts.sizes.split(',').map(Number);
  console.log(`\none update (ms, medians of ${rounds} interleaved rounds): rxgrad (fused where the backend allows) vs tf.train.*; chain = rxgrad with fused: false (target: ratio ≤ 1)`);
  console.log(`${'optimizer'.padEnd(18)}${'params'.padStart(9)}${'rxgrad'.padStart(11)}${'tf.train'.padStart(11)}${'ratio'.padStart(8)}${'chain'.padStart(11)}`);
  for (const r of await benchOptimizers(rounds, sizes, fused)) {
    const cells = [r.rxgrad, r.tfjs].map((v) => v.toFixed(4).padStart(11)).join('');
    console.log(`${r.name.padEnd(18)}${r.size.toExponential(0).padStart(9)}${cells}${`${r.ratio.toFixed(3)}×`.padStart(8)}${r.chain.toFixed(4).padStart(11)}`);
  }
}

if (!opts.skipInPlace && !only) {
  const inPlaceRounds = Number(opts.inPlaceRounds);
  console.log(
    `\nin-place update on owned state (CPU ms per update, medians of ${inPlaceRounds} interleaved rounds; ratios paired per round): rxgrad's JS kernel (js: updateInPlace + addUpdates, an update tensor per step; arrays: as applyUpdates' fused path runs it, arrayTrainer) and SIMD kernel vs a hand-written in-place plain-JS loop and tf.train.* (targets: js/plain ≤ 1, simd/plain ≤ 0.5 from 1e5, rxgrad/tf.train ≤ 1)`,
  );
  if (tf.getBackend() === 'wasm') {
    console.log("  (on wasm the kernels run in place on the backend's own heap: views of the tensors' storage, the SIMD kernel instantiated on its memory, x + u adopted as the parameter's storage; the arrays column reads and assigns copies there: applyUpdates' fused path runs on cpu only)");
  } else if (tf.getBackend() !== 'cpu') {
    console.log(`  (on ${tf.getBackend()} nothing runs in place — reading a tensor copies there: the js and simd columns are both rxgrad's default path, the fused kernel up to ${FUSED_BACKENDS[tf.getBackend()] ?? 0} values and tfjs's ops above)`);
  }
  console.log(`${'optimizer'.padEnd(14)}${'params'.padStart(8)}${'js'.padStart(10)}${'arrays'.padStart(10)}${'simd'.padStart(10)}${'plain'.padStart(10)}${'tf.train'.padStart(10)}${'js/plain'.padStart(10)}${'arrays/plain'.padStart(14)}${'simd/plain'.padStart(12)}${'rxgrad/tf'.padStart(11)}`);
  for (const r of await benchInPlace(inPlaceRounds, opts.inPlaceSizes.split(',').map(Number))) {
    const ms = [r.js, r.arrays, r.simd, r.plain, r.tfjs].map((v) => v.toFixed(3).padStart(10)).join('');
    console.log(`${r.name.padEnd(14)}${r.size.toExponential(0).padStart(8)}${ms}${`${r.jsPlain.toFixed(2)}×`.padStart(10)}${`${r.arraysPlain.toFixed(2)}×`.padStart(14)}${`${r.simdPlain.toFixed(2)}×`.padStart(12)}${`${r.autoTfjs.toFixed(2)}×`.padStart(11)}`);
  }
}
