/**
 * `npm run schedules`: learning-rate schedules on the airfoil regression of *Dive into Deep
 * Learning* §12.5, side by side — the book's constant rate, the book's exercise (divide the
 * rate by 10 after each epoch), a warmup + cosine run, and cosine × plateau on the training loss
 * (the runs are in `demo/scheduleRuns.ts`). Prints the loss on all 1500 rows every 300 examples
 * and at the end (the book's runs end at 0.243–0.245; the least-squares optimum is 0.2417).
 */
import { useBackend } from '../src/useBackend';
import { silenceTfjsBanner } from './silenceTfjsBanner';
import { airfoil } from '../streams/sources/airfoil';
import type { StepResult } from '../streams/Step';
import { BATCH, EPOCHS, scheduleRuns, trainAirfoil } from './scheduleRuns';

console.log(`backend: ${await useBackend('cpu')}`);
silenceTfjsBanner();
const data = airfoil();
const table: StepResult[][] = [];
for (const run of scheduleRuns) table.push(await trainAirfoil(run, data));
const cell = (r: StepResult) => `${r.info.fullLoss.toFixed(4)} @ lr ${r.lr.toPrecision(2)}`.padEnd(24);
console.log(`Airfoil, minibatch SGD, batch ${BATCH}, ${EPOCHS} epochs: loss on all 1500 rows (and the lr in force at that step)`);
console.log(`${'examples'.padEnd(10)}${scheduleRuns.map((r) => r.name.padEnd(24)).join('')}`);
table[0].forEach((r, i) => console.log(`${String(r.examples).padEnd(10)}${table.map((col) => cell(col[i])).join('')}`));
console.log(`${'final'.padEnd(10)}${table.map((col) => col[col.length - 1].info.fullLoss.toFixed(4).padEnd(24)).join('')}`);
console.log("book's final losses: 0.243–0.245; least-squares optimum: 0.2417");
