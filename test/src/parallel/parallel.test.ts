import { describe, expect, it } from 'vitest';
import { base64ToFloat32, decodeArrays, float32ToBase64 } from '../../../src/parallel/float32Base64';
import { stalenessPolicy } from '../../../src/parallel/stalenessPolicy';
import { SequenceLedger } from '../../../src/parallel/SequenceLedger';
import { decodeGradient, encodeGradient, type GradientMessage } from '../../../src/parallel/gradientMessage';
import { decodeModel, encodeModel, modelJson } from '../../../src/parallel/modelMessage';
import { decodeReply, encodeReply } from '../../../src/parallel/gradientReply';
import { RxgradError } from '../../../src/RxgradError';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('float32 base64', () => {
  it('encodes the little-endian IEEE 754 bytes', () => {
    // 1.0 = 0x3F800000 → bytes 00 00 80 3F → 6-bit groups 000000 000000 001000 000000 | 001111 11(0000) → "AACAPw=="
    // −0.5 = 0xBF000000 → bytes 00 00 00 BF → "AAAA" | 101111 11(0000) → "vw=="
    expect(float32ToBase64(Float32Array.of(1))).toBe('AACAPw==');
    expect(float32ToBase64(Float32Array.of(1, -0.5))).toBe('AACAPwAAAL8=');
    expect(Array.from(base64ToFloat32('v', 'AACAPwAAAL8=', 2))).toEqual([1, -0.5]);
    // a view at an offset encodes only its own bytes
    expect(float32ToBase64(Float32Array.of(7, 1).subarray(1))).toBe('AACAPw==');
  });

  it('rejects non-base64, wrong lengths and wrong names, naming the field', () => {
    expect(() => base64ToFloat32('grads.w', 'AAC*Pw==')).toThrow('Expected `grads.w` float32 values as standard base64, got a string that is not base64');
    expect(() => base64ToFloat32('grads.w', 'AACAPw==', 2)).toThrow('Expected `grads.w` 2 float32 values (8 bytes of base64), got 4 bytes');
    expect(() => base64ToFloat32('grads.w', 'AAA=')).toThrow('got 2 bytes');
    expect(() => base64ToFloat32('grads.w', 3)).toThrow(RxgradError);
    expect(() => decodeArrays('grads', { b: 'AACAPw==', c: 'AACAPw==' }, { b: 1 })).toThrow('Expected `grads.c` absent (the names are b), got it');
    expect(() => decodeArrays('grads', { b: 'AACAPw==' }, { w: 1, b: 1 })).toThrow('Expected `grads.w` float32 values as standard base64, got undefined');
  });
});

describe('stalenessPolicy', () => {
  it('drop: weight 1 up to k, then 0', () => {
    const w = stalenessPolicy({ maxStaleness: 2 });
    expect([0, 1, 2, 3, 10].map(w)).toEqual([1, 1, 1, 0, 0]);
    expect([0, 1].map(stalenessPolicy({ maxStaleness: 0 }))).toEqual([1, 0]);
  });

  it('downweight: 1/(1 + τ) up to k, then 0', () => {
    // τ = 0 → 1, τ = 1 → 1/2, τ = 2 → 1/3, τ = 3 → 1/4, τ = 4 > k → 0
    const w = stalenessPolicy({ maxStaleness: 3, mode: 'downweight' });
    expect([0, 1, 2, 3, 4].map(w)).toEqual([1, 0.5, 1 / 3, 0.25, 0]);
  });

  it('bad options and staleness name the field', () => {
    expect(() => stalenessPolicy({ maxStaleness: -1 })).toThrow('Expected `staleness.maxStaleness` an integer ≥ 0, got -1');
    expect(() => stalenessPolicy({ maxStaleness: 1.5 })).toThrow('staleness.maxStaleness');
    expect(() => stalenessPolicy({ maxStaleness: 1, mode: 'half' as never })).toThrow("Expected `staleness.mode` 'drop' or 'downweight', got \"half\"");
    expect(() => stalenessPolicy(null as never)).toThrow('Expected `staleness` an object');
    expect(() => stalenessPolicy({ maxStaleness: 1 })(-1)).toThrow('Expected `staleness` an integer ≥ 0, got -1');
  });
});

describe('SequenceLedger', () => {
  it('advances its floor over contiguous sequences and keeps the out-of-order ones', () => {
    const l = new SequenceLedger();
    expect([l.add(1), l.add(3), l.add(3), l.add(5)]).toEqual([true, true, false, true]);
    expect(l.save()).toEqual({ floor: 1, above: [3, 5] });
    expect(l.add(2)).toBe(true); // 2 fills the gap: floor 3, above [5]
    expect(l.save()).toEqual({ floor: 3, above: [5] });
    expect([l.has(1), l.has(3), l.has(4), l.has(5)]).toEqual([true, true, false, true]);
    expect(l.added).toBe(4);
  });

  it('jumps over a gap that never fills once more than maxGaps sequences wait above it', () => {
    const l = new SequenceLedger(2);
    l.add(1);
    l.add(3);
    l.add(4); // above {3, 4}: 2 ≤ maxGaps
    expect(l.save()).toEqual({ floor: 1, above: [3, 4] });
    l.add(6); // above {3, 4, 6} > 2: floor → 3 − 1 = 2, then 3, 4 contiguous → floor 4, above [6]
    expect(l.save()).toEqual({ floor: 4, above: [6] });
    expect(l.add(2)).toBe(false); // taken for a repeat (documented)
  });

  it('restores its JSON state, checked', () => {
    const l = new SequenceLedger(100, JSON.parse(JSON.stringify({ floor: 3, above: [5] })));
    expect(l.add(3)).toBe(false);
    expect(l.add(4)).toBe(true);
    expect(l.save()).toEqual({ floor: 5, above: [] });
    expect(() => new SequenceLedger(100, { floor: 3, above: [2] })).toThrow('Expected `ledger.above[0]` an integer ≥ 4, got 2');
    expect(() => new SequenceLedger(100, { floor: -1, above: [] })).toThrow('ledger.floor');
    expect(() => new SequenceLedger(0)).toThrow('Expected `maxGaps` an integer ≥ 1, got 0');
    expect(() => l.add(0)).toThrow('Expected `sequence` a stream sequence (an integer ≥ 1), got 0');
  });
});

describe('gradient, model and reply messages', () => {
  const g: GradientMessage = { version: 4, grads: { w: Float32Array.of(1, -0.5), b: Float32Array.of(-0.5) }, loss: 0.5, n: 2, correct: 1, sequences: [7, 9], worker: 'w1' };

  it('encode to the documented JSON and decode back', () => {
    expect(new TextDecoder().decode(encodeGradient(g))).toBe('{"version":4,"grads":{"w":"AACAPwAAAL8=","b":"AAAAvw=="},"loss":0.5,"n":2,"correct":1,"sequences":[7,9],"worker":"w1"}');
    const back = decodeGradient(encodeGradient(g), { w: 2, b: 1 });
    expect({ ...back, grads: { w: Array.from(back.grads.w), b: Array.from(back.grads.b) } }).toEqual({ ...g, grads: { w: [1, -0.5], b: [-0.5] } });
    const m = { version: 5, params: { b: Float32Array.of(1) } };
    expect(modelJson(m)).toBe('{"version":5,"params":{"b":"AACAPw=="}}');
    expect(decodeModel(encodeModel(m), { b: 1 }).version).toBe(5);
    const r = decodeReply(encodeReply({ status: 'duplicate', staleness: 2, duplicates: [7] }, modelJson(m)), { b: 1 });
    expect({ ...r, model: { version: r.model.version, b: Array.from(r.model.params.b) } }).toEqual({ status: 'duplicate', staleness: 2, duplicates: [7], model: { version: 5, b: [1] } });
  });

  it('reject a bad field, naming it', () => {
    const bad = (patch: Record<string, unknown>) => () => decodeGradient(bytes(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeGradient(g))), ...patch })), { w: 2, b: 1 });
    expect(bad({ version: -1 })).toThrow('Expected `gradient.version` an integer ≥ 0, got -1');
    expect(bad({ loss: null })).toThrow('Expected `gradient.loss` a finite number, got null');
    expect(bad({ n: 0 })).toThrow('gradient.n');
    expect(bad({ correct: 3 })).toThrow('Expected `gradient.correct` an integer in [0, n = 2], got 3');
    expect(bad({ sequences: [7] })).toThrow('Expected `gradient.sequences` n = 2 stream sequences, got 1');
    expect(bad({ sequences: [7, 7] })).toThrow('Expected `gradient.sequences` distinct stream sequences, got a repeated one');
    expect(bad({ sequences: [7, 0] })).toThrow('gradient.sequences[1]');
    expect(bad({ worker: '' })).toThrow('gradient.worker');
    expect(bad({ grads: { w: 'AACAPw==', b: 'AAAAvw==' } })).toThrow('Expected `gradient.grads.w` 2 float32 values (8 bytes of base64), got 4 bytes');
    expect(() => decodeGradient(bytes('{"version":'), { b: 1 })).toThrow('Expected `gradient` a JSON object, got 11 bytes that are not JSON');
    expect(() => decodeModel(bytes('{"version":1}'), { b: 1 })).toThrow('model.params');
    expect(() => decodeReply(bytes('{"status":"ok"}'), { b: 1 })).toThrow('Expected `reply.status` one of applied, stale, duplicate, got "ok"');
  });
});
