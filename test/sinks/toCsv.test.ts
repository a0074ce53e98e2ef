import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../streams/Step';
import { toCsv } from '../../streams/sinks/toCsv';

const point = (over: Partial<StepResult>): StepResult => ({
  step: 1,
  epoch: 1,
  loss: 0.5,
  lr: 0.1,
  hyper: { lr: 0.1 },
  gradNorm: 2,
  updateNorm: 0.2,
  size: 10,
  examples: 10,
  time: 1.5,
  wallTime: 1700000000000,
  info: {},
  ...over,
});

describe('toCsv', () => {
  it('writes one row per point of every run, with the union of hyper, info and values columns', () => {
    const csv = toCsv([
      { id: 'gd', name: 'GD', points: [point({ values: { x: [-4, -1.2] } }), point({ step: 2, loss: 0.25, values: { x: [-3.2, -0.72] } })] },
      { id: 'mom', name: 'Momentum, γ 0.5', points: [point({ hyper: { lr: 0.1, momentum: 0.5 }, info: { fullLoss: 0.3 }, lr: NaN })] },
    ]);
    expect(csv).toBe(
      [
        'run,name,step,epoch,wallTime,loss,lr,gradNorm,updateNorm,size,examples,time,hyper.momentum,info.fullLoss,values.x.0,values.x.1',
        'gd,GD,1,1,1700000000000,0.5,0.1,2,0.2,10,10,1.5,,,-4,-1.2',
        'gd,GD,2,1,1700000000000,0.25,0.1,2,0.2,10,10,1.5,,,-3.2,-0.72',
        'mom,"Momentum, γ 0.5",1,1,1700000000000,0.5,,2,0.2,10,10,1.5,0.5,0.3,,',
        '',
      ].join('\n'),
    );
  });

  it('treats JSON nulls as missing, quotes quotes, and defuses formula-like text', () => {
    const fromJson = JSON.parse(JSON.stringify(point({ loss: NaN }))) as StepResult;
    const csv = toCsv([{ id: '=cmd', name: 'say "hi"', points: [fromJson] }]);
    expect(csv.split('\n')[1]).toBe(`'=cmd,"say ""hi""",1,1,1700000000000,,0.1,2,0.2,10,10,1.5`);
  });

  it('adds online learning\'s numbers and texts as online.<path> columns (drift event lists left out)', () => {
    const online = {
      metrics: { accuracy: 0.75 },
      baselines: { noChange: { accuracy: 0.5 } },
      ingest: { received: 4, queued: 0, trained: 4, dropped: 0, rejected: 1, lastReason: 'x[1]: NaN', lag: 0 },
      drifts: 1,
      driftEvents: [{ step: 1, examples: 4, detector: 'adwin', status: 'drift' as const, statistic: 0.5 }],
    };
    const csv = toCsv([{ id: 'o', name: 'online', points: [point({ online }), point({ step: 2 })] }]).split('\n');
    expect(csv[0]).toBe(
      'run,name,step,epoch,wallTime,loss,lr,gradNorm,updateNorm,size,examples,time,online.baselines.noChange.accuracy,online.drifts,' +
        'online.ingest.dropped,online.ingest.lag,online.ingest.lastReason,online.ingest.queued,online.ingest.received,online.ingest.rejected,online.ingest.trained,online.metrics.accuracy',
    );
    expect(csv[1]).toBe('o,online,1,1,1700000000000,0.5,0.1,2,0.2,10,10,1.5,0.5,1,0,0,x[1]: NaN,0,4,1,4,0.75');
    expect(csv[2]).toBe('o,online,2,1,1700000000000,0.5,0.1,2,0.2,10,10,1.5,,,,,,,,,,');
  });

  it('gives just the header for no points', () => {
    expect(toCsv([])).toBe('run,name,step,epoch,wallTime,loss,lr,gradNorm,updateNorm,size,examples,time\n');
  });
});
