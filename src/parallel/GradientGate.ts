import { RxgradError } from '../RxgradError';
import { positiveInt } from '../validate';
import type { GradientMessage } from './gradientMessage';
import { SequenceLedger, type SequenceRanges } from '../online/SequenceLedger';
import { stalenessPolicy, type StalenessOptions, type StalenessPolicy } from './stalenessPolicy';

/** What the gate decided for one gradient. */
export type GateDecision =
  | { readonly status: 'applied'; readonly staleness: number; readonly weight: number }
  | { readonly status: 'stale'; readonly staleness: number }
  | { readonly status: 'duplicate'; readonly staleness: number; readonly duplicates: readonly number[] };

/** The gate's counters (cumulative over the run, a resumed one included). */
export interface GateCounts {
  /** Updates applied: the model's version. */
  readonly version: number;
  /** Examples whose gradient was applied. */
  readonly trained: number;
  /** Gradients, and their examples, dropped as more than k versions stale. */
  readonly stale: number;
  readonly staleExamples: number;
  /** Gradients refused because some of their examples were already accounted for. */
  readonly duplicates: number;
  /** Test-then-train: examples predicted (applied or stale gradients) and predicted right. */
  readonly predicted: number;
  readonly correct: number;
}

/** The gate's JSON state (in the updater's checkpoint). */
export interface GateState extends GateCounts {
  /** The accounted stream sequences (`SequenceLedger` ranges). */
  readonly ledger: SequenceRanges;
}

/**
 * The updater's decision on each worker gradient, and its accounting (pure, JSON state):
 *
 * 1. τ = V − v, V the gate's version (updates applied so far), v the gradient's; v > V is an
 *    `RxgradError` naming `gradient.version` (a gradient from another run).
 * 2. **Duplicate** — some of the gradient's stream sequences are already accounted for (the
 *    message was delivered again): nothing is recorded; the decision names them.
 * 3. **Stale** — the policy's weight w(τ) is 0 (τ > k): its sequences are recorded in the
 *    ledger as accounted (deliberately dropped, never trained), counted in `stale`/`staleExamples`.
 * 4. **Applied** — w(τ) > 0: its sequences are recorded, `trained` += n, and the caller applies
 *    w·g and calls `applied()` (V ← V + 1).
 * 5. Predictions (stale or applied gradients, never duplicates) count into `predicted`/`correct`:
 *    each was made by a model that had not learned the example (test-then-train).
 * 6. `tickets` = V + stale gradients: each applied or dropped gradient's ticket, in order (a
 *    checkpoint's saved V and `stale` give the tickets it holds).
 *
 * @example
 * const gate = new GradientGate({ maxStaleness: 1 });
 * const g = { version: 0, grads: {}, loss: 0.7, n: 1, correct: 1, sequences: [1], worker: 'w1' };
 * gate.admit(g); // { status: 'applied', staleness: 0, weight: 1 }
 * gate.applied(); // 1
 * gate.admit(g); // { status: 'duplicate', staleness: 1, duplicates: [1] }
 */
export class GradientGate {
  private readonly weigh: StalenessPolicy;
  private readonly ledger: SequenceLedger;
  private counts: { -readonly [K in keyof GateCounts]: GateCounts[K] };

  constructor(staleness: StalenessOptions, saved?: GateState) {
    this.weigh = stalenessPolicy(staleness);
    if (saved !== undefined && (saved === null || typeof saved !== 'object')) throw new RxgradError('resume.state.gate', 'the saved state of a GradientGate', saved);
    const counts = { version: 0, trained: 0, stale: 0, staleExamples: 0, duplicates: 0, predicted: 0, correct: 0 };
    if (saved) for (const key of Object.keys(counts) as (keyof GateCounts)[]) counts[key] = positiveInt(`resume.state.gate.${key}`, saved[key], 0);
    this.counts = counts;
    this.ledger = SequenceLedger.from(saved?.ledger, 'resume.state.gate.ledger');
  }

  /** Decide on one gradient (see the class comment). */
  admit(g: GradientMessage): GateDecision {
    const V = this.counts.version;
    if (g.version > V) throw new RxgradError('gradient.version', `a model version the updater has published (≤ ${V})`, g.version);
    const staleness = V - g.version;
    const duplicates = g.sequences.filter((s) => this.ledger.has(s));
    if (duplicates.length > 0) {
      this.counts.duplicates++;
      return { status: 'duplicate', staleness, duplicates };
    }
    for (const s of g.sequences) this.ledger.add(s);
    this.counts.predicted += g.n;
    this.counts.correct += g.correct;
    const weight = this.weigh(staleness);
    if (weight === 0) {
      this.counts.stale++;
      this.counts.staleExamples += g.n;
      return { status: 'stale', staleness };
    }
    this.counts.trained += g.n;
    return { status: 'applied', staleness, weight };
  }

  /** The update of the last applied gradient is made: the version advances. */
  applied(): number {
    return ++this.counts.version;
  }

  /** Gradients accounted for so far (applied or dropped as stale): the ticket of the last one. */
  get tickets(): number {
    return this.counts.version + this.counts.stale;
  }

  /** The counters. */
  get state(): GateCounts {
    return { ...this.counts };
  }

  /** The JSON state. */
  save(): GateState {
    return { ...this.counts, ledger: this.ledger.ranges() };
  }
}
