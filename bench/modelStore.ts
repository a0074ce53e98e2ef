/**
 * `npm run bench:model-store`: the model store's costs against a local nats-server (the README's
 * "Model store" figures), printed as a Markdown table, then one JSON line.
 *
 * 1. Starts a nats-server (or uses `--servers`).
 * 2. `publishModel` put: a snapshot of 9, 4,225 and 263,169 float32 parameters (a logistic
 *    regression on 8 features, an MLP 64-64-1, an MLP 512-512-1: the last one over 1 MiB encoded,
 *    so through the Object Store, old objects pruned) is published `--puts` times on one
 *    connection, one at a time; the time from handing the snapshot over to its `PublishedModel`.
 * 3. `loadModelVersion`: the newest version read `--loads` times, each with its own connection
 *    (what a replica starting up pays).
 * 4. A 20 KB checkpoint written `--puts` times to `natsCheckpoints` (acknowledged by JetStream)
 *    and to `fileCheckpoints` (fsynced and renamed), interleaved.
 * 5. Medians in ms; the load average is printed with them (the machine is shared).
 *
 * Options: --puts N (20), --loads N (5), --servers URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { firstValueFrom, Subject } from 'rxjs';
import { fileCheckpoints } from '../streams/fileCheckpoints';
import { loadModelVersion } from '../streams/nats/loadModelVersion';
import { natsCheckpoints } from '../streams/nats/natsCheckpoints';
import { publishModel, type PublishedModel } from '../streams/nats/publishModel';
import type { Snapshot } from '../streams/operators/snapshots';
import { startNatsServer, type NatsServer } from '../test/nats/natsServer';
import { median, samples } from './measure';

const o = new Command()
  .option('--puts <n>', 'puts (and checkpoint writes) per size', '20')
  .option('--loads <n>', 'loads per size', '5')
  .option('--servers <url>', 'a running nats-server (default: start one)')
  .parse()
  .opts<{ puts: string; loads: string; servers?: string }>();

/** Parameter counts: logistic regression on 8 features; MLPs 64-64-1 and 512-512-1. */
const SIZES = [9, 4225, 263_169];

/** A snapshot of `n` parameters (`w` and a bias), values that vary (no compressible run). */
function snapshotOf(n: number, version: number): Snapshot {
  const w = Float32Array.from({ length: n - 1 }, (_, i) => Math.sin(i + version));
  return { version, step: version, examples: version, params: { w, b: Float32Array.of(version) } };
}

async function main(): Promise<void> {
  const puts = Number(o.puts);
  const loads = Number(o.loads);
  let server: NatsServer | undefined;
  const servers = o.servers ?? (server = await startNatsServer()).url;
  const rows: { what: string; bytes?: number; ms: number }[] = [];
  try {
    for (const n of SIZES) {
      const key = `bench-${n}`;
      const snapshots = new Subject<Snapshot>();
      const stored = new Subject<PublishedModel>();
      const sub = snapshots.pipe(publishModel({ servers, key })).subscribe(stored);
      let version = 0;
      let bytes = 0;
      const put = async () => {
        const next = firstValueFrom(stored);
        const t0 = performance.now();
        snapshots.next(snapshotOf(n, ++version));
        bytes = (await next).bytes;
        return performance.now() - t0;
      };
      const putMs = median((await samples({ put }, puts)).put);
      rows.push({ what: `publishModel put, ${n.toLocaleString('en-US')} parameters`, bytes, ms: putMs });
      snapshots.complete();
      sub.unsubscribe();
      const loadMs = median((await samples({ load: () => loadModelVersion({ servers, key }).then(() => undefined) }, loads)).load);
      rows.push({ what: `loadModelVersion (its connection included), ${n.toLocaleString('en-US')} parameters`, bytes, ms: loadMs });
    }
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-bench-model-store-'));
    const nats = natsCheckpoints({ servers, key: 'bench' });
    const file = fileCheckpoints(dir);
    const content = `${JSON.stringify({ pad: 'x'.repeat(20_000) })}\n`;
    let step = 0;
    const writes = await samples({ nats: async () => void (await nats.write(++step, content, 3)), file: () => void file.write(++step, content, 3) }, puts);
    rows.push({ what: 'checkpoint write, 20 KB: natsCheckpoints (acknowledged)', bytes: content.length, ms: median(writes.nats) });
    rows.push({ what: 'checkpoint write, 20 KB: fileCheckpoints (fsynced, renamed)', bytes: content.length, ms: median(writes.file) });
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
  } finally {
    await server?.close();
  }
  console.log(`medians of ${o.puts} puts / writes and ${o.loads} loads; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
  console.log('');
  console.log('| operation | bytes | ms |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.what} | ${r.bytes?.toLocaleString('en-US') ?? ''} | ${r.ms.toFixed(2)} |`);
  console.log(JSON.stringify({ puts, loads, rows }));
}

await main();
