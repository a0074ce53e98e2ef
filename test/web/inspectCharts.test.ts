import { describe, expect, it } from 'vitest';
import { inspectCharts, inspectValues } from '../../demo/web/inspectCharts';
import type { StepResult } from '../../streams/Step';

describe('inspectCharts', () => {
  it('groups inspectOptimizer keys into one chart per quantity and parameter, the median last', () => {
    const names = ['loss', 'info.fullLoss', 'info.inspect.updateRatio.dense.kernel', 'info.inspect.mAbs.w.p50', 'info.inspect.stepSize.w.p95', 'info.inspect.stepSize.w.p5', 'info.inspect.stepSize.w.p50', 'info.inspect.stepSize.w.p25', 'info.inspect.stepSize.w.p75', 'info.inspect.stepSize.dense.kernel.p50'];
    expect(inspectCharts(names)).toEqual([
      { key: 'stepSize.dense.kernel', quantity: 'stepSize', param: 'dense.kernel', labels: ['p50'] },
      { key: 'stepSize.w', quantity: 'stepSize', param: 'w', labels: ['p5', 'p95', 'p25', 'p75', 'p50'] },
      { key: 'mAbs.w', quantity: 'mAbs', param: 'w', labels: ['p50'] },
      { key: 'updateRatio.dense.kernel', quantity: 'updateRatio', param: 'dense.kernel', labels: [] },
    ]);
  });

  it('reads a line from the points that carry it', () => {
    const p = (info: Record<string, number>) => ({ info }) as unknown as StepResult;
    const points = [p({}), p({ 'inspect.stepSize.w.p50': 0.1 }), p({ 'inspect.stepSize.w.p50': 0.2, 'inspect.updateRatio.w': 0.01 })];
    const chart = inspectCharts(['info.inspect.stepSize.w.p50'])[0];
    expect(inspectValues(points, chart, 'p50')).toEqual({ index: [1, 2], ys: [0.1, 0.2] });
    expect(inspectValues(points, { key: 'updateRatio.w', quantity: 'updateRatio', param: 'w', labels: [] })).toEqual({ index: [2], ys: [0.01] });
  });
});
