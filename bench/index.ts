/**
 * `npm run bench`: every benchmark side by side with its baseline in one run, as ratios.
 * Options: --backend cpu|wasm|tensorflow|auto (default cpu), --rounds N.
 */
import { Command } from 'commander';
import { useBackend, type BackendName } from '../src/useBackend';
import { benchPipeline } from './pipeline';

const program = new Command()
  .name('bench')
  .option('--backend <name>', 'tfjs backend: cpu, wasm, tensorflow or auto', 'cpu')
  .option('--rounds <n>', 'interleaved rounds per comparison (medians are reported)', '15')
  .parse();
const { backend, rounds } = program.opts<{ backend: BackendName; rounds: string }>();
console.log(`backend: ${await useBackend(backend)}, rounds: ${rounds} (medians)`);

const p = await benchPipeline(Number(rounds));
console.log(
  `pipeline, airfoil minibatch SGD (batch 10): rxgrad ${p.rxgrad.toFixed(4)} ms/step, hand-written tfjs ${p.tfjs.toFixed(4)} ms/step, ratio ${p.ratio.toFixed(3)}× (target ≤ 1.02×)`,
);
