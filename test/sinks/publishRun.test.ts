import { take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { drive } from '../../streams/sources/drive';
import type { RunInfo } from '../../streams/sinks/protocol';
import { RunChannel, type RunHub } from '../../streams/sinks/RunChannel';
import { wsMetrics } from '../../streams/sinks/wsMetrics';
import type { StepResult } from '../../streams/Step';
import { fakeResult } from './fakeResult';

function recordingChannel(id = 'r') {
  const points: number[] = [];
  const statuses: string[] = [];
  const hub: RunHub = {
    point: (_run, result) => points.push(result.step),
    changed: (info: RunInfo) => statuses.push(info.status),
  };
  return { channel: new RunChannel({ id, name: id }, hub), points, statuses };
}

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const values = { a: fakeResult(1), b: fakeResult(2), c: fakeResult(3) };

describe('wsMetrics(run) / publishRun', () => {
  it('publishes each value, passes it on, and ends the run done on complete', () => {
    const { channel, points, statuses } = recordingChannel();
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<StepResult>('-a-b-c|', values);
      expectObservable(source.pipe(wsMetrics(channel))).toBe('-a-b-c|', values);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
    expect(points).toEqual([1, 2, 3]);
    expect(statuses).toEqual(['done']);
    expect(channel.info).toMatchObject({ status: 'done', points: 3 });
  });

  it('passes an error on and records it on the run', () => {
    const { channel, statuses } = recordingChannel();
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<StepResult>('-a#', values, new Error('diverged')).pipe(wsMetrics(channel))).toBe('-a#', values, new Error('diverged'));
    });
    expect(statuses).toEqual(['error']);
    expect(channel.info.error).toBe('diverged');
  });

  it('marks the run stopped on early unsubscribe', () => {
    const { channel, points } = recordingChannel();
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<StepResult>('-a-b-c|', values);
      expectObservable(source.pipe(wsMetrics(channel)), '^--!').toBe('-a--', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(points).toEqual([1]);
    expect(channel.info.status).toBe('stopped');
  });

  it('completes and unsubscribes the source when a client asks to stop', () => {
    const { channel } = recordingChannel();
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<StepResult>('-a-b-c|', values);
      cold('---x').subscribe(() => channel.control({ type: 'stop', run: 'r' }));
      expectObservable(source.pipe(wsMetrics(channel))).toBe('-a-|', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(channel.info.status).toBe('stopped');
  });

  it('publishes exactly n points when a synchronous source is cut by take(n)', () => {
    const { channel, points } = recordingChannel();
    let produced = 0;
    drive(() => () => fakeResult(++produced)).pipe(wsMetrics(channel), take(3)).subscribe();
    expect(points).toEqual([1, 2, 3]);
    expect(produced).toBe(3);
  });

  it('serves one subscription per run', () => {
    const { channel } = recordingChannel();
    const source = drive(() => () => undefined as StepResult | undefined);
    source.pipe(wsMetrics(channel)).subscribe();
    let error: Error | undefined;
    source.pipe(wsMetrics(channel)).subscribe({ error: (e) => (error = e) });
    expect(error?.message).toBe('Expected `run` a run channel not yet used by a pipeline (register a new run), got run `r`');
  });
});
