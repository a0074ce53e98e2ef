/**
 * The ack-after-checkpoint hook: `checkpoint` tells the run's parts (`Checkpointable.committed`)
 * once a checkpoint is durable — after its file is written, with the very value the part saved
 * in it — and never for a failed write.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { listCheckpoints, readCheckpoint } from '../../streams/checkpointFile';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { checkpoint } from '../../streams/operators/checkpoint';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { RunScope } from '../../streams/RunScope';
import { replay } from '../../streams/sources/replay';
import { syntheticTable } from '../online/syntheticTable';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('RunScope.committed (the hook a durable source acks from)', () => {
  it('each part hears of a durable checkpoint with the value it saved in it, in registration order; parts without the hook are passed over', () => {
    const scope = RunScope.open();
    const heard: string[] = [];
    scope.register('a', { save: () => 1, committed: (v) => heard.push(`a:${v}`) });
    scope.register('b', { save: () => 2 });
    scope.register('c', { save: () => 3, committed: (v) => heard.push(`c:${v}`) });
    scope.committed(scope.save());
    scope.committed({ a: 5 }); // only the keys the checkpoint holds
    expect(heard).toEqual(['a:1', 'c:3', 'a:5']);
    scope.end();
  });

  it('checkpoint calls it after each write, once the file holding the saved value exists; a failed write calls nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxgrad-committed-'));
    dirs.push(dir);
    const model = logisticRegression(3);
    const heard: { saved: unknown; onDisk: unknown }[] = [];
    let steps = 0;
    await lastValueFrom(
      replay(syntheticTable(40, 3, 1), { batchSize: 4 }).pipe(
        tap((s) => {
          if (s.step === 1)
            s.scope!.register('part', {
              save: () => ({ steps }),
              committed: (saved) => {
                const newest = listCheckpoints(dir).at(-1)!;
                const read = readCheckpoint(newest.file);
                heard.push({ saved, onDisk: 'checkpoint' in read ? read.checkpoint.state.part : read.reason });
              },
            });
          steps = s.step;
        }),
        gradients(model.loss, model.params),
        optimize(sgd({ lr: 0.1 })),
        applyUpdates(model.params),
        checkpoint({ dir, params: model.params, everySteps: 3 }),
      ),
    );
    // steps 3, 6, 9 and the final write at 10 (the end); each heard after its file was durable
    expect(heard).toEqual([3, 6, 9, 10].map((n) => ({ saved: { steps: n }, onDisk: { steps: n } })));

    // A write that fails (the folder is a file now) errors the run and commits nothing.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, '');
    heard.length = 0;
    const run = replay(syntheticTable(8, 3, 1), { batchSize: 4 }).pipe(
      tap((s) => s.step === 1 && s.scope!.register('part', { save: () => 0, committed: (saved) => heard.push({ saved, onDisk: undefined }) })),
      gradients(model.loss, model.params),
      optimize(sgd({ lr: 0.1 })),
      applyUpdates(model.params),
      checkpoint({ dir: join(blocked, 'sub'), params: model.params, everySteps: 1 }),
    );
    await expect(lastValueFrom(run)).rejects.toThrow();
    expect(heard).toEqual([]);
    model.params.w.dispose();
    model.params.b.dispose();
  });
});
