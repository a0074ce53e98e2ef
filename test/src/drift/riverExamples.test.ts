import { describe, expect, it } from 'vitest';
import { adwin } from '../../../src/drift/adwin';
import { ddm } from '../../../src/drift/ddm';
import type { DriftDetector } from '../../../src/drift/DriftDetector';
import { pageHinkley } from '../../../src/drift/pageHinkley';
import { PyRandom } from './pyRandom';
import streams from './riverStreams.json';

// River's own printed examples, reproduced exactly. Expected indices are copied from River's
// docstrings (river/drift/adwin.py, page_hinkley.py, binary/ddm.py), its unit tests
// (river/drift/test_drift_detectors.py) and its ADWIN regression tests
// (river/drift/test_adwin_regression.py). The numpy streams of test_drift_detectors.py are stored
// in riverStreams.json, made once with:
//   np.random.seed(12345); s1 = concat(randint(2, size=1000), randint(8, size=1000))
//   np.random.seed(12345); s2 = concat([binomial(1, 0.2) ×1000], [binomial(1, 0.8) ×1000])
//   np.random.seed(12345); s3 = concat(normal(0, .1, 500) > 0, normal(.25, .1, 500) > 0,
//                                      normal(0, .1, 500) > 0, normal(.25, .1, 500) > 0)

/** Indices (0-based, as River's `enumerate`) where `status` was reported. */
function indices<S>(detector: DriftDetector<S>, stream: readonly number[], status: 'drift' | 'warning' = 'drift'): number[] {
  const state = detector.init();
  const out: number[] = [];
  stream.forEach((x, i) => {
    if (detector.update(state, x) === status) out.push(i);
  });
  return out;
}

const digits = (s: string): number[] => [...s].map(Number);
const s1 = digits(streams.dataStream1);
const s2 = digits(streams.dataStream2);
const s3 = digits(streams.dataStream3);

/** rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000) */
function twoDistributions(seed: number): number[] {
  const rng = new PyRandom(seed);
  return [...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000)];
}

describe('River examples', () => {
  it('ADWIN docstring: random.Random(12345) → change at index 1023', () => {
    expect(indices(adwin(), twoDistributions(12345))).toEqual([1023]);
  });

  it('ADWIN regression test_multiple_drifts: random.Random(42), four segments → [1023, 2015, 3007]', () => {
    const rng = new PyRandom(42);
    const data = [...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000), ...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000)];
    expect(indices(adwin(), data)).toEqual([1023, 2015, 3007]);
  });

  it('ADWIN test_adwin: data_stream_1 → [1023]', () => {
    expect(indices(adwin(), s1)).toEqual([1023]);
  });

  it('Page–Hinkley docstring: random.Random(12345) → change at index 1006', () => {
    expect(indices(pageHinkley(), twoDistributions(12345))).toEqual([1006]);
  });

  it('Page–Hinkley test_page_hinkley: data_stream_3 up [588, 1681], down [1172], both [588, 1097, 1585]', () => {
    expect(indices(pageHinkley({ mode: 'up' }), s3)).toEqual([588, 1681]);
    expect(indices(pageHinkley({ mode: 'down' }), s3)).toEqual([1172]);
    expect(indices(pageHinkley({ mode: 'both' }), s3)).toEqual([588, 1097, 1585]);
  });

  it('DDM docstring: random.Random(42) → warning 1084, change 1334, warning 1492', () => {
    const rng = new PyRandom(42);
    const data = [...rng.choices([0, 1], 1000), ...rng.choices([0, 1], 1000, [0.3, 0.7])];
    // The docstring prints the first warning after start and after each drift.
    const printed: string[] = [];
    const detector = ddm();
    const state = detector.init();
    let printWarning = true;
    data.forEach((x, i) => {
      const status = detector.update(state, x);
      if (status === 'warning' && printWarning) {
        printed.push(`warning ${i}`);
        printWarning = false;
      }
      if (status === 'drift') {
        printed.push(`drift ${i}`);
        printWarning = true;
      }
    });
    expect(printed).toEqual(['warning 1084', 'drift 1334', 'warning 1492']);
  });

  it('DDM test_ddm: data_stream_2 → [1049]; a stream of ones → []', () => {
    expect(indices(ddm(), s2)).toEqual([1049]);
    expect(indices(ddm(), new Array(1000).fill(1))).toEqual([]);
  });
});
