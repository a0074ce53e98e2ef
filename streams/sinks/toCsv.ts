import type { StepResult } from '../Step';

/** One run's points for `toCsv`. */
export interface CsvRun {
  readonly id: string;
  readonly name: string;
  readonly points: readonly StepResult[];
}

const FIXED = ['step', 'epoch', 'wallTime', 'loss', 'lr', 'gradNorm', 'updateNorm', 'size', 'examples', 'time'] as const;

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v !== 'string') return '';
  // A leading = + - @ would make a spreadsheet evaluate the text as a formula.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The numbers and texts of an `online` report by dotted path (`metrics.accuracy`, `ingest.lag` …); lists (drift events) are left out. */
function flatten(value: unknown, prefix: string, out: Map<string, number | string>): Map<string, number | string> {
  if (typeof value === 'number' || typeof value === 'string') out.set(prefix, value);
  else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/**
 * All runs in one CSV table (RFC 4180, `\n` line ends), one row per point.
 *
 * 1. Columns: `run`, `name`, the `StepResult` numbers (step, epoch, wallTime, loss, lr,
 *    gradNorm, updateNorm, size, examples, time), then `hyper.<k>` for every other
 *    hyperparameter, `info.<k>`, `values.<name>.<i>` and `online.<path>` (online learning's metrics, baselines,
 *    ingest counters, pending, drifts; not the list of drift events) found in any run, sorted by name.
 * 2. A value a point does not have, or a non-finite one (NaN, or `null` from JSON), is empty.
 * 3. Text is quoted when it holds `"` `,` or a line break; text starting with = + - @ gets a
 *    leading `'` so spreadsheets do not run it as a formula.
 *
 * @example
 * toCsv([{ id: 'gd', name: 'GD', points: [result] }]);
 * // "run,name,step,epoch,wallTime,loss,lr,...\ngd,GD,1,1,1700000000000,0.5,0.1,...\n"
 */
export function toCsv(runs: readonly CsvRun[]): string {
  const hyper = new Set<string>();
  const info = new Set<string>();
  const values = new Map<string, number>();
  const online = new Set<string>();
  for (const run of runs) {
    for (const p of run.points) {
      for (const k of flatten(p.online, '', new Map()).keys()) online.add(k);
      for (const k of Object.keys(p.hyper ?? {})) if (k !== 'lr') hyper.add(k);
      for (const k of Object.keys(p.info ?? {})) info.add(k);
      for (const [k, v] of Object.entries(p.values ?? {})) values.set(k, Math.max(values.get(k) ?? 0, v.length));
    }
  }
  const hyperKeys = [...hyper].sort();
  const infoKeys = [...info].sort();
  const onlineKeys = [...online].sort();
  const valueCols = [...values.keys()].sort().flatMap((k) => Array.from({ length: values.get(k)! }, (_, i) => [k, i] as const));
  const header = [
    'run',
    'name',
    ...FIXED,
    ...hyperKeys.map((k) => `hyper.${k}`),
    ...infoKeys.map((k) => `info.${k}`),
    ...valueCols.map(([k, i]) => `values.${k}.${i}`),
    ...onlineKeys.map((k) => `online.${k}`),
  ];
  const lines = [header.map(cell).join(',')];
  for (const run of runs) {
    for (const p of run.points) {
      const flat = onlineKeys.length > 0 ? flatten(p.online, '', new Map()) : undefined;
      const row = [
        cell(run.id),
        cell(run.name),
        ...FIXED.map((k) => cell(p[k])),
        ...hyperKeys.map((k) => cell(p.hyper?.[k])),
        ...infoKeys.map((k) => cell(p.info?.[k])),
        ...valueCols.map(([k, i]) => cell(p.values?.[k]?.[i])),
        ...onlineKeys.map((k) => cell(flat?.get(k))),
      ];
      lines.push(row.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
