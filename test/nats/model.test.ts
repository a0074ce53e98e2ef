import * as tf from '@tensorflow/tfjs';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, firstValueFrom, lastValueFrom, of, Subject, take, tap, throwError, toArray } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { logisticRegression } from '../../src/models/logisticRegression';
import { mlp } from '../../src/models/mlp';
import type { Model } from '../../src/models/Model';
import { decodeSnapshot, encodeSnapshot } from '../../src/online/snapshotCodec';
import { sgd } from '../../src/optimizers/sgd';
import { loadModelVersion } from '../../streams/nats/loadModelVersion';
import { publishModel } from '../../streams/nats/publishModel';
import { watchModel, type ModelVersion } from '../../streams/nats/watchModel';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { snapshots, type Snapshot } from '../../streams/operators/snapshots';
import { predictor } from '../../streams/predictor';
import { linkScope, RunScope } from '../../streams/RunScope';
import { JETSTREAM_KEY } from '../../streams/nats/jetstream';
import { SOURCE_KEY } from '../../src/online/SourcePosition';
import { fakeResult } from '../sinks/fakeResult';
import { replay } from '../../streams/sources/replay';
import { expectNoLeak, until } from '../helpers';
import { syntheticTable } from '../online/syntheticTable';
import { startNatsServer, type NatsServer } from './natsServer';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
}, 20_000);
afterAll(() => server?.close());

const table = syntheticTable(40, 3, 5);
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** The model's own scores for rows `x` with its current parameters (the reference for a replica). */
function scores(model: Model, x: Float32Array): Float32Array {
  const n = x.length / model.features;
  const batch: ExampleBatch = { n, d: model.features, x, y: new Float32Array(n).fill(NaN), ids: new Array(n).fill(undefined), times: new Float64Array(n) };
  const out = new Float32Array(n * model.outputs);
  model.scoreRows(model.params, batch, out);
  return out;
}

/** A snapshot of `model`'s current parameters. */
function snapshotOf(model: Model, version: number): Snapshot {
  const params: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(model.params)) params[name] = Float32Array.from(v.dataSync() as Float32Array);
  return { version, step: 10 * version, examples: 80 * version, params };
}

describe('snapshot codec', () => {
  it('writes each parameter as the base64 of its little-endian float32 bytes, and reads every bit back', () => {
    // 0.5 = 0x3F000000 → bytes 00 00 00 3F → "AAAAPw=="; 1 = 0x3F800000 → 00 00 80 3F → "AACAPw=="
    const text = new TextDecoder().decode(encodeSnapshot({ version: 1, step: 10, examples: 80, params: { b: Float32Array.of(0.5), w: Float32Array.of(1) } }));
    expect(text).toBe('{"format":"rxgrad-model/1","version":1,"step":10,"examples":80,"params":{"b":"AAAAPw==","w":"AACAPw=="}}');
    // −0, ±Infinity, a NaN with a payload, a subnormal: bit for bit
    const odd = new Float32Array(new Uint32Array([0x80000000, 0x7f800000, 0xff800000, 0x7fc00123, 0x00000001]).buffer);
    const back = decodeSnapshot(encodeSnapshot({ version: 2, step: 3, examples: 4, source: { step: 3, examples: 4, position: 17 }, sequence: 17, params: { w: odd } }), 'model');
    expect(bits(back.params.w)).toEqual([0x80000000, 0x7f800000, 0xff800000, 0x7fc00123, 0x00000001]);
    expect(back.source).toEqual({ step: 3, examples: 4, position: 17 });
    expect(back.sequence).toBe(17);
  });

  it('names what is wrong in a stored model', () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    expect(() => decodeSnapshot(new TextEncoder().encode('{"format":'), 'model "m" revision 3')).toThrow('Expected `model "m" revision 3` an encoded model (JSON), got 10 bytes that do not parse');
    expect(() => decodeSnapshot(enc({ format: 'x' }), 'm')).toThrow('Expected `m.format` "rxgrad-model/1", got "x"');
    expect(() => decodeSnapshot(enc({ format: 'rxgrad-model/1', version: 0, step: 1, examples: 1, params: { w: '' } }), 'm')).toThrow('Expected `m.version` an integer ≥ 1, got 0');
    expect(() => decodeSnapshot(enc({ format: 'rxgrad-model/1', version: 1, step: 1, examples: 1, params: { w: 'AAA=' } }), 'm')).toThrow('Expected `m.params.w` float32 values (a multiple of 4 bytes of base64), got 2 bytes');
    expect(() => decodeSnapshot(enc({ format: 'rxgrad-model/1', version: 1, step: 1, examples: 1, params: { w: [1, 2] } }), 'm')).toThrow('Expected `m.params.w` float32 values as standard base64, got [1, 2]');
    expect(() => decodeSnapshot(enc({ format: 'rxgrad-model/1', version: 1, step: 1, examples: 1, source: { step: -1, examples: 0 }, params: { w: '' } }), 'm')).toThrow('Expected `m.source.step` an integer ≥ 0, got -1');
    expect(() => decodeSnapshot(enc({ format: 'rxgrad-model/1', version: 1, step: 1, examples: 1, sequence: 0, params: { w: '' } }), 'm')).toThrow('Expected `m.sequence` an integer ≥ 1, got 0');
  });
});

describe('snapshots of a JetStream run', () => {
  it('carry the source position and the highest stream sequence in the model (the jetstream part\'s last range)', () => {
    const w = tf.variable(tf.tensor1d([2]));
    const scope = new RunScope();
    scope.register(SOURCE_KEY, { save: () => ({ step: 4, examples: 8, position: 31 }) });
    scope.register(JETSTREAM_KEY, { save: () => ({ ranges: [[1, 20], [23, 31]] }) });
    const { operator, snapshots$ } = snapshots({ everySteps: 4, params: { w } });
    const seen: Snapshot[] = [];
    snapshots$.subscribe((s) => seen.push(s));
    const r = fakeResult(4);
    linkScope(r, scope);
    of(r).pipe(operator).subscribe();
    expect(seen).toEqual([{ version: 1, step: 4, examples: 4, source: { step: 4, examples: 8, position: 31 }, sequence: 31, params: { w: Float32Array.of(2) } }]);
    w.dispose();
  });
});

describe('publishModel, watchModel, loadModelVersion (a real nats-server)', () => {
  it('a trainer publishes versions while two replicas follow; after it stops both serve the last version, equal to the trained model', async () => {
    const servers = server.url;
    const model = logisticRegression(3);
    const snaps = snapshots({ everySteps: 2, params: model.params });
    const all = lastValueFrom(snaps.snapshots$.pipe(toArray()));
    const published = lastValueFrom(snaps.snapshots$.pipe(publishModel({ servers, key: 'trainer-1' }), toArray()));
    // two replicas started before the trainer, and a watcher recording the versions they see
    const replicas = [predictor(logisticRegression(3), watchModel({ servers, key: 'trainer-1' })), predictor(logisticRegression(3), watchModel({ servers, key: 'trainer-1' }))];
    const seen: ModelVersion[] = [];
    const watching = watchModel({ servers, key: 'trainer-1' }).subscribe((v) => seen.push(v));

    // 40 rows at 400 rows/s, batch 4: 10 steps over 0.1 s, a snapshot every 2 steps (versions 1–5)
    await lastValueFrom(replay(table, { batchSize: 4, rate: 400 }).pipe(gradients(model.loss, model.params), optimize(sgd({ lr: 0.5 })), applyUpdates(model.params), snaps.operator));
    const snapshotsTaken = await all;
    const puts = await published;
    expect(snapshotsTaken.map((s) => s.version)).toEqual([1, 2, 3, 4, 5]);
    expect(snapshotsTaken[4].source).toEqual({ step: 10, examples: 40 });
    // stored in order, the last always; revisions increase
    expect(puts.at(-1)).toMatchObject({ version: 5, step: 10 });
    expect(puts.map((p) => p.version)).toEqual([...puts.map((p) => p.version)].sort((a, b) => a - b));
    expect(puts.length + puts.at(-1)!.skipped).toBe(5);
    for (let i = 1; i < puts.length; i++) expect(puts[i].revision).toBeGreaterThan(puts[i - 1].revision);

    await until(() => replicas.every((r) => r.version === 5) && seen.at(-1)?.version === 5);
    // the trainer has stopped: both replicas serve version 5, whose parameters are the trained model's
    const x = Float32Array.of(0.5, -0.25, 1, -1, 0.75, 0.1);
    const expected = scores(model, x);
    for (const r of replicas) {
      const p = r.predict(x);
      expect(p).toMatchObject({ version: 5, step: 10 });
      expect(Array.from(p.proba!)).toEqual(Array.from(expected));
    }
    // the watcher saw versions in order, each bit-identical to the snapshot taken, with the source position
    expect(seen.map((v) => v.version)).toEqual([...seen.map((v) => v.version)].sort((a, b) => a - b));
    for (const v of seen) {
      const s = snapshotsTaken[v.version - 1];
      expect({ step: v.step, examples: v.examples, source: v.source }).toEqual({ step: s.step, examples: s.examples, source: s.source });
      for (const name of ['w', 'b']) expect(bits(v.params[name])).toEqual(bits(s.params[name]));
    }
    // every stored revision reads back as its version, bit for bit; no revision means the newest
    for (const p of puts) {
      const v = await loadModelVersion({ servers, key: 'trainer-1', revision: p.revision });
      expect(v.version).toBe(p.version);
      expect(bits(v.params.w)).toEqual(bits(snapshotsTaken[p.version - 1].params.w));
    }
    expect((await loadModelVersion({ servers, key: 'trainer-1' })).revision).toBe(puts.at(-1)!.revision);

    watching.unsubscribe();
    for (const r of replicas) r.dispose();
    model.dispose();
  }, 30_000);

  it('a model bigger than max_payload (1 MiB) goes through the Object Store, bit for bit', async () => {
    const servers = server.url;
    // 512·512 + 512 + 512·1 + 1 = 263,169 float32 parameters: 1,052,676 bytes, 1,403,568 in base64
    const big = mlp([512, 512, 1], { seed: 3 });
    const size = Object.values(big.params).reduce((n, v) => n + v.size, 0);
    expect(size).toBe(263_169);
    const s1 = snapshotOf(big, 1);
    // a bucket keeping 2 revisions per key
    const at = { servers, bucket: 'two-kept', key: 'big', history: 2 };
    const replica = predictor(mlp([512, 512, 1]), watchModel(at));
    const puts = await lastValueFrom(of(s1).pipe(publishModel(at), toArray()));
    expect(puts).toHaveLength(1);
    expect(puts[0].bytes).toBeGreaterThan(1024 * 1024);
    expect(puts[0].object).toBe('big/v1');

    await until(() => replica.version === 1);
    const x = new Float32Array(2 * 512).map((_, i) => Math.sin(i));
    expect(Array.from(replica.predict(x).yHat)).toEqual(Array.from(scores(big, x)));
    const back = await loadModelVersion(at);
    for (const name of Object.keys(s1.params)) expect(Buffer.from(back.params[name].buffer).equals(Buffer.from(s1.params[name].buffer))).toBe(true);

    // snapshots arriving while one waits: only the newest is stored (v2 waits for the connection, v3 replaces it)
    const conflated = await lastValueFrom(concat(of({ ...s1, version: 2 }), of({ ...s1, version: 3 })).pipe(publishModel(at), toArray()));
    expect(conflated.map((p) => [p.version, p.skipped])).toEqual([[3, 1]]);
    // v4, v5, v6 by a third publisher: the KV keeps the 2 newest revisions, and the objects no kept
    // revision points at are deleted, also those the earlier publishers put (v1, v3, then v4)
    const queue = [4, 5, 6].map((version) => ({ ...s1, version }));
    const feed = new Subject<Snapshot>();
    const paced = lastValueFrom(feed.pipe(publishModel(at), tap(() => (queue.length ? feed.next(queue.shift()!) : feed.complete())), toArray()));
    feed.next(queue.shift()!);
    const later = await paced;
    expect(later.map((p) => p.object)).toEqual(['big/v4', 'big/v5', 'big/v6']);
    await until(() => replica.version === 6);
    const nc = await connect({ servers });
    const objects = await new Objm(nc).create('two-kept');
    expect((await objects.list()).filter((o) => !o.deleted).map((o) => o.name).sort()).toEqual(['big/v5', 'big/v6']);
    await expect(loadModelVersion({ ...at, revision: later[0].revision })).rejects.toThrow(`Expected \`revision\` a stored version of model "big" in bucket "two-kept", got none for revision ${later[0].revision}`);
    expect((await loadModelVersion({ ...at, revision: later[1].revision })).version).toBe(5);
    // an object gone while the KV still points at it (deleted by hand) is named
    await objects.delete('big/v5');
    await expect(loadModelVersion({ ...at, revision: later[1].revision })).rejects.toThrow(`Expected \`model "big" revision ${later[1].revision}\` its object "big/v5" in the Object Store "two-kept", got none`);
    // and a watcher whose newest version's object is gone errors naming it (no newer version to go on with)
    await objects.delete('big/v6');
    await expect(firstValueFrom(watchModel(at))).rejects.toThrow(`Expected \`model "big" revision ${later[2].revision}\` its object "big/v6" in the Object Store "two-kept", got none`);
    await nc.close();
    replica.dispose();
    big.dispose();
  }, 60_000);

  it('errors: bad options name the field; a missing revision, another key\'s revision and an undecodable entry are named', async () => {
    const servers = server.url;
    expect(() => publishModel({ servers: [], key: 'k' })).toThrow('Expected `servers` a NATS URL or a non-empty array of them');
    expect(() => publishModel({ servers, key: '.k' })).toThrow('Expected `key` a key of letters, digits and -/=._ (not starting or ending with a dot), got ".k"');
    expect(() => publishModel({ servers, key: 'k', bucket: 'a.b' })).toThrow('Expected `bucket` a bucket name of letters, digits, - and _, got "a.b"');
    expect(() => publishModel({ servers, key: 'k', history: 65 })).toThrow('Expected `history` at most 64');
    expect(() => watchModel({ servers, key: 'k', history: 0 })).toThrow('Expected `history` an integer ≥ 1, got 0');
    await expect(loadModelVersion({ servers, key: 'k', revision: -1 })).rejects.toThrow('Expected `revision` an integer ≥ 1, got -1');
    await expect(loadModelVersion({ servers, key: 'nothing-here' })).rejects.toThrow('Expected `revision` a stored version of model "nothing-here" in bucket "rxgrad-models", got none for the newest');

    const model = logisticRegression(2);
    const [p] = await lastValueFrom(of(snapshotOf(model, 1)).pipe(publishModel({ servers, key: 'other' }), toArray()));
    await expect(loadModelVersion({ servers, key: 'mine', revision: p.revision })).rejects.toThrow(`Expected \`revision\` a stored version of model "mine" in bucket "rxgrad-models", got none for revision ${p.revision}`);

    // a foreign writer puts garbage under the key: the watcher errors naming key and revision
    const nc = await connect({ servers });
    const kv = await new Kvm(nc).create('rxgrad-models');
    const rev = await kv.put('garbage', '{"format":"rxgrad-model/1","version":1,"step":1,"examples":1,"params":{"w":"AA"}}');
    await expect(firstValueFrom(watchModel({ servers, key: 'garbage' }))).rejects.toThrow(`Expected \`model "garbage" revision ${rev}.params.w\` float32 values as standard base64, got a string that is not base64`);
    await nc.close();
    // something that is not a snapshot errors the stream, naming it
    await expect(lastValueFrom(of({ version: 1 } as unknown as Snapshot).pipe(publishModel({ servers, key: 'k' })))).rejects.toThrow('Expected `snapshot` a Snapshot { version, step, examples, params }, got {"version":1}');
    // a connection that cannot be made errors the stream
    await expect(lastValueFrom(of(snapshotOf(model, 1)).pipe(publishModel({ servers: 'nats://127.0.0.1:1', key: 'k' })))).rejects.toThrow();
    model.dispose();
  }, 30_000);

  it('ends: completes after the last put; an error or an unsubscribe ends it at once; a replica keeps its last version', async () => {
    const servers = server.url;
    const model = logisticRegression(2);
    const failing = concat(of(snapshotOf(model, 1)), throwError(() => new Error('training died')));
    await expect(lastValueFrom(failing.pipe(publishModel({ servers, key: 'ends' })))).rejects.toThrow('training died');
    const feed = new Subject<Snapshot>();
    const firstPut = firstValueFrom(feed.pipe(publishModel({ servers, key: 'ends' }), take(1)));
    feed.next(snapshotOf(model, 2));
    expect((await firstPut).version).toBe(2);
    expect(feed.observed).toBe(false); // take(1) unsubscribed from the snapshots
    const v = await firstValueFrom(watchModel({ servers, key: 'ends' }));
    expect(v.version).toBe(2);
    model.dispose();
  }, 30_000);

  it('a replica keeps serving through a nats-server restart and then follows the next version', async () => {
    const servers = server.url;
    const model = logisticRegression(2);
    const replica = predictor(logisticRegression(2), watchModel({ servers, key: 'restart' }));
    await lastValueFrom(of(snapshotOf(model, 1)).pipe(publishModel({ servers, key: 'restart' })));
    await until(() => replica.version === 1);
    await server.restart();
    expect(replica.predict([[1, 1]]).version).toBe(1); // served from its own copy meanwhile
    model.params.w.assign(tf.tensor2d([[1], [-2]]));
    await lastValueFrom(of(snapshotOf(model, 2)).pipe(publishModel({ servers, key: 'restart' })));
    await until(() => replica.version === 2, 20_000);
    // z = 1·0.5 − 2·0.25 + 0 = 0 → p = 0.5
    expect(replica.predict([[0.5, 0.25]]).proba![1]).toBe(0.5);
    replica.dispose();
    model.dispose();
  }, 40_000);

  it('leaks no tensor: training with published snapshots (complete, error, unsubscribe) and replicas following', async () => {
    const servers = server.url;
    const model = logisticRegression(3);
    const run = (key: string) => {
      const snaps = snapshots({ everySteps: 3, params: model.params });
      const puts: number[] = [];
      let done = false;
      const publishing = snaps.snapshots$.pipe(publishModel({ servers, key })).subscribe({ next: (p) => puts.push(p.version), complete: () => (done = true) });
      return { puts, publishing, isDone: () => done, steps: replay(table, { batchSize: 4 }).pipe(gradients(model.loss, model.params), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params), snaps.operator) };
    };
    await expectNoLeak(async () => {
      const r = run('leak');
      await lastValueFrom(r.steps);
      await until(r.isDone); // completes after the last put (10 steps: version ⌈10/3⌉ = 4)
      expect(r.puts.at(-1)).toBe(4);
    });
    await expectNoLeak(async () => {
      const r = run('leak');
      await lastValueFrom(r.steps.pipe(take(4)));
      // the run was cut: the snapshots stay open (a resumed run continues them); the publisher is unsubscribed
      await until(() => r.puts.includes(1));
      r.publishing.unsubscribe();
    });
    await expectNoLeak(async () => {
      const r = run('leak');
      await expect(lastValueFrom(concat(r.steps.pipe(take(4)), throwError(() => new Error('broke'))))).rejects.toThrow('broke');
      r.publishing.unsubscribe();
    });
    const shape = logisticRegression(3);
    await expectNoLeak(async () => {
      const replica = predictor(shape, watchModel({ servers, key: 'leak' }));
      await until(() => replica.version > 0);
      replica.predict([[1, 2, 3]]);
      replica.dispose();
    });
    shape.dispose();
    model.dispose();
  }, 30_000);
});
