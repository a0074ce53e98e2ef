import { describe, expect, it } from 'vitest';
import { base64ToFloat32, decodeArrays, float32ToBase64 } from '../../../src/parallel/float32Base64';
import { stalenessPolicy } from '../../../src/parallel/stalenessPolicy';
import { decodeGradient, encodeGradient, type GradientMessage } from '../../../src/parallel/gradientMessage';
import { decodeModel, encodeModel, modelJson } from '../../../src/parallel/modelMessage';
import { decodeReply, encodeReply } from '../../../src/parallel/gradientReply';
import { RxgradError } from '../../../src/RxgradError';
import { GradientGate } from '../../../src/parallel/GradientGate';

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

  it("carry a checkpointing updater's ticket, and its refusals", () => {
    const m = { version: 5, params: { b: Float32Array.of(1) } };
    const c = encodeReply({ status: 'applied', staleness: 0, duplicates: [], commit: 12 }, modelJson(m));
    expect(new TextDecoder().decode(c)).toBe('{"status":"applied","staleness":0,"duplicates":[],"commit":12,"model":{"version":5,"params":{"b":"AACAPw=="}}}');
    expect(decodeReply(c, { b: 1 }).commit).toBe(12);
    expect(() => decodeReply(bytes('{"error":"Expected `gradient.n` an integer ≥ 1, got 0"}'), { b: 1 })).toThrow('Expected `gradient` a gradient the updater accepts, got refused: Expected `gradient.n` an integer ≥ 1, got 0');
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

describe('GradientGate', () => {
  const msg = (version: number, sequences: number[], correct = 0) => ({ version, grads: {}, loss: 0.5, n: sequences.length, correct, sequences, worker: 'w' });

  it('applies current gradients, drops those more than k behind, refuses repeats, and counts', () => {
    const gate = new GradientGate({ maxStaleness: 1, mode: 'downweight' });
    // V = 0: τ = 0 → applied with w = 1
    expect(gate.admit(msg(0, [1, 2], 2))).toEqual({ status: 'applied', staleness: 0, weight: 1 });
    expect(gate.applied()).toBe(1);
    // V = 1, v = 0: τ = 1 ≤ k → w = 1/(1 + 1) = 0.5
    expect(gate.admit(msg(0, [3], 1))).toEqual({ status: 'applied', staleness: 1, weight: 0.5 });
    gate.applied();
    // V = 2, v = 0: τ = 2 > k → dropped, its examples accounted (and their predictions counted)
    expect(gate.admit(msg(0, [4, 5], 0))).toEqual({ status: 'stale', staleness: 2 });
    // sequence 2 was applied already, 4 dropped already: a duplicate naming both, nothing recorded
    expect(gate.admit(msg(2, [2, 4, 6]))).toEqual({ status: 'duplicate', staleness: 0, duplicates: [2, 4] });
    expect(gate.admit(msg(2, [6], 1))).toEqual({ status: 'applied', staleness: 0, weight: 1 });
    gate.applied();
    // trained 2 + 1 + 1 = 4; stale 1 gradient of 2 examples; predicted 2 + 1 + 2 + 1 = 6, correct 2 + 1 + 0 + 1 = 4
    expect(gate.state).toEqual({ version: 3, trained: 4, stale: 1, staleExamples: 2, duplicates: 1, predicted: 6, correct: 4 });
    expect(gate.save().ledger).toEqual([[1, 6]]);
    // tickets = V + stale = 3 + 1: the applied, stale, (not the duplicate) and applied gradients, in order
    expect(gate.tickets).toBe(4);
  });

  it('rejects a gradient from a version not reached yet, and restores its JSON state', () => {
    const gate = new GradientGate({ maxStaleness: 0 });
    expect(() => gate.admit(msg(1, [1]))).toThrow('Expected `gradient.version` a model version the updater has published (≤ 0), got 1');
    gate.admit(msg(0, [1], 1));
    gate.applied();
    const back = new GradientGate({ maxStaleness: 0 }, JSON.parse(JSON.stringify(gate.save())));
    expect(back.state).toEqual(gate.state);
    expect(back.admit(msg(1, [1]))).toEqual({ status: 'duplicate', staleness: 0, duplicates: [1] });
    expect(() => new GradientGate({ maxStaleness: 0 }, { ...gate.save(), trained: -1 })).toThrow('Expected `resume.state.gate.trained` an integer ≥ 0, got -1');
  });
});
