/**
 * `npm run bench:drift`: detection delay and false alarms of each drift detector (River's
 * defaults) on synthetic 0/1 error streams with a known change point, printed as a Markdown
 * table (the README's "Drift detection" table).
 *
 * 1. Change: Bernoulli errors at rate p₀ for 1000 examples, then p₁ for 3000; the delay is the
 *    number of examples from the change to the first detection at or after it (the detecting
 *    example counted); "detected" counts the seeds with one within the 3000.
 * 2. False alarms: detections before the change (per 1000 examples), and detections in a stream
 *    without change (rate 0.2, 10 000 examples).
 * 3. Seeds 1 … N (default 100) of mulberry32; every figure is deterministic.
 *
 * Options: --seeds N.
 */
import { Command } from 'commander';
import { adwin } from '../src/drift/adwin';
import { ddm } from '../src/drift/ddm';
import type { DriftDetector } from '../src/drift/DriftDetector';
import { pageHinkley } from '../src/drift/pageHinkley';
import { mulberry32 } from '../streams/sources/mulberry32';

const { seeds } = new Command().name('bench:drift').option('--seeds <n>', 'streams per scenario', '100').parse().opts<{ seeds: string }>();
const nSeeds = Number(seeds);
const CHANGE = 1000;
const AFTER = 3000;
const QUIET = 10_000;

/** Indices (0-based) of the drifts a fresh detector reports on `n` Bernoulli values. */
function drifts(detector: DriftDetector<any>, seed: number, n: number, rate: (i: number) => number): number[] {
  const rand = mulberry32(seed);
  const state = detector.init();
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (detector.update(state, rand() < rate(i) ? 1 : 0) === 'drift') out.push(i);
  return out;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const detectors: [string, () => DriftDetector<any>][] = [
  ['ADWIN', () => adwin()],
  ['Page–Hinkley', () => pageHinkley()],
  ['DDM', () => ddm()],
];

console.log(`| detector | change | detected | delay median | delay p10–p90 | false alarms before the change (per 1000) | false alarms without change (per 10 000) |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const [p0, p1] of [
  [0.2, 0.5],
  [0.2, 0.3],
]) {
  for (const [name, make] of detectors) {
    const delays: number[] = [];
    let before = 0;
    let quiet = 0;
    for (let seed = 1; seed <= nSeeds; seed++) {
      const found = drifts(make(), seed, CHANGE + AFTER, (i) => (i < CHANGE ? p0 : p1));
      before += found.filter((i) => i < CHANGE).length;
      const first = found.find((i) => i >= CHANGE);
      if (first !== undefined) delays.push(first - CHANGE + 1);
      quiet += drifts(make(), 1_000_000 + seed, QUIET, () => p0).length;
    }
    delays.sort((a, b) => a - b);
    const spread = delays.length ? `${quantile(delays, 0.1)}–${quantile(delays, 0.9)}` : '–';
    const median = delays.length ? String(quantile(delays, 0.5)) : '–';
    const perStream = (count: number, per: number, length: number) => ((count / nSeeds) * (per / length)).toFixed(2);
    console.log(`| ${name} | ${p0} → ${p1} | ${delays.length}/${nSeeds} | ${median} | ${spread} | ${perStream(before, 1000, CHANGE)} | ${perStream(quiet, QUIET, QUIET)} |`);
  }
}
