import { lastValueFrom, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { sourcePosition } from '../../../src/online/SourcePosition';
import { pushSource } from '../../../streams/sources/pushSource';
import { replay } from '../../../streams/sources/replay';
import type { Step } from '../../../streams/Step';

// A file-like producer: input i (a line) has position i + 1; a resumed run reads again after the
// checkpoint's position. Inputs: examples, bad examples (rejected by the queue) and unparsable lines.
const inputs: unknown[] = Array.from({ length: 23 }, (_, i) => (i % 5 === 2 ? { x: [NaN] } : i % 7 === 3 ? 'unparsable' : { x: [i], y: i % 2 }));
const lines = (batchSize: number, resume?: { state: Record<string, unknown> }) =>
  pushSource(
    (sink, restored) => {
      for (let i = restored?.position ?? 0; i < inputs.length; i++) {
        if (inputs[i] === 'unparsable') sink.reject(`line ${i + 1} is not JSON`);
        else sink.offer(inputs[i], i + 1);
      }
      sink.complete();
    },
    { batchSize, resume },
  );
const ingestOf = (s: Step<ExampleBatch>) => s.online!.ingest;

describe('ingest counters across a resume', () => {
  it('a push source: a run resumed from any step reports the counters of an uninterrupted one', async () => {
    const whole = await lastValueFrom(lines(3));
    // By hand: of the 23 inputs, i % 5 = 2 (2, 7, 12, 17, 22) are bad examples and i % 7 = 3 but not those
    // (3, 10) unparsable lines: 7 rejected, 16 trained; the last input (22) is a bad example.
    expect(ingestOf(whole)).toEqual({ received: 23, queued: 0, trained: 16, dropped: 0, rejected: 7, lastReason: 'Expected `x[0]` a finite number, got NaN', lag: 0 });
    for (let k = 1; k < whole.step; k++) {
      const first = await lastValueFrom(lines(3).pipe(take(k)));
      const state = JSON.parse(JSON.stringify(first.scope!.save()));
      const rest = await lastValueFrom(lines(3, { state }));
      expect([k, rest.step, rest.examples, ingestOf(rest)]).toEqual([k, whole.step, whole.examples, ingestOf(whole)]);
    }
  });

  it('replay: a resumed run counts the rows played before it', async () => {
    const table = { xs: [[0], [1], [2], [3], [4]], ys: [0, 1, 0, 1, 1] };
    const whole = await lastValueFrom(replay(table, { batchSize: 2 }));
    const first = await lastValueFrom(replay(table, { batchSize: 2 }).pipe(take(1)));
    const rest = await lastValueFrom(replay(table, { batchSize: 2, resume: { state: first.scope!.save() } }));
    expect(ingestOf(rest)).toEqual(ingestOf(whole));
    expect(ingestOf(rest)).toEqual({ received: 5, queued: 0, trained: 5, dropped: 0, rejected: 0, lag: 0 });
  });

  it('a checkpoint’s counters are checked, naming the field', () => {
    expect(sourcePosition({ step: 1, examples: 2, ingest: { received: 3, dropped: 0, rejected: 1, lastReason: 'r' } })).toEqual({
      step: 1,
      examples: 2,
      ingest: { received: 3, dropped: 0, rejected: 1, lastReason: 'r' },
    });
    expect(() => sourcePosition({ step: 1, examples: 2, ingest: 'x' })).toThrow('Expected `resume.state.source.ingest` counters { received, dropped, rejected, lastReason? }, got "x"');
    expect(() => sourcePosition({ step: 1, examples: 2, ingest: { received: 3, dropped: -1, rejected: 0 } })).toThrow(
      'Expected `resume.state.source.ingest.dropped` an integer ≥ 0, got -1',
    );
    expect(() => sourcePosition({ step: 1, examples: 2, ingest: { received: 5, dropped: 0, rejected: 1 } })).toThrow(
      'Expected `resume.state.source.ingest.received` examples + dropped + rejected = 3, got 5',
    );
    expect(() => sourcePosition({ step: 1, examples: 2, ingest: { received: 2, dropped: 0, rejected: 0, lastReason: 7 } })).toThrow(
      'Expected `resume.state.source.ingest.lastReason` a string or absent, got 7',
    );
  });
});
