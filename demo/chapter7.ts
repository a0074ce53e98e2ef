/**
 * `npm run chapter7`: every experiment of the optimization chapter of *Dive into Deep
 * Learning*, one line each, with the book's printed values beside ours.
 *
 * Options: --backend cpu|wasm|tensorflow|auto (default cpu), --only <text> (run experiments
 * whose name contains it).
 */
import { Command } from 'commander';
import { useBackend, type BackendName } from '../src/useBackend';
import { silenceTfjsBanner } from './silenceTfjsBanner';
import { airfoilRuns, collect, traces } from './experiments';
import type { Experiment } from './Experiment';

const fmt6 = (v: number) => v.toFixed(6);

async function runOne(e: Experiment): Promise<string> {
  const results = await collect(e.run());
  const last = results[results.length - 1];
  if (e.group === 'trace') {
    const [x1, x2] = last.values!.x;
    const book = e.book ? `   (book: x1 ${fmt6(e.book.x1)}, x2 ${fmt6(e.book.x2)})` : '';
    return `${e.name.padEnd(44)} epoch ${last.step}, x1: ${fmt6(x1)}, x2: ${fmt6(x2)}${book}`;
  }
  const seconds = results.reduce((s, r) => s + r.time, 0) / 1000;
  const perEpoch = seconds / last.epoch;
  return `${e.name.padEnd(44)} loss: ${last.info.fullLoss.toFixed(3)}, ${perEpoch.toFixed(3)} sec/epoch (${last.epoch} epochs, ${last.step} steps)`;
}

const program = new Command()
  .name('chapter7')
  .description("Run the optimization chapter's experiments and print the book's numbers")
  .option('--backend <name>', 'tfjs backend: cpu, wasm, tensorflow or auto', 'cpu')
  .option('--only <text>', 'only experiments whose name contains this text')
  .parse();

const { backend, only } = program.opts<{ backend: BackendName; only?: string }>();
console.log(`backend: ${await useBackend(backend)}`);
silenceTfjsBanner();
console.log('2-D traces, 20 steps from x = (-5, -2) (SGD: 50 steps, gradient noise N(0, 1)):');
let group = 'trace';
// The chapter's experiments only (npm start's online runs never end on their own).
for (const e of [...traces, ...airfoilRuns].filter((x) => !only || x.name.includes(only))) {
  if (e.group !== group) {
    group = e.group;
    console.log('Linear regression on the airfoil data (loss on all 1500 rows; book: 0.243–0.245, optimum 0.2417):');
  }
  console.log(await runOne(e));
}
