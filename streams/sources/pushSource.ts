import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { ExampleBatch } from '../../src/ExampleBatch';
import { ExampleQueue, queuePolicy, type OfferOutcome, type QueuePolicy } from '../../src/queue/ExampleQueue';
import { inRange, positiveInt, seed32 } from '../../src/validate';
import { SOURCE_KEY, sourcePosition, type SourcePosition } from '../../src/online/SourcePosition';
import { RunScope } from '../RunScope';
import type { Step } from '../Step';
import type { DriveOptions } from './drive';
import { later } from './later';
import { mulberry32 } from './mulberry32';

/** The bounded queue between a push source and training. */
export interface QueueOptions {
  /** Examples held at most (default 10,000). */
  readonly capacity?: number;
  /** What a full queue does (default `block`); see `ExampleQueue`. */
  readonly policy?: QueuePolicy;
  /** Seed of the `sample` policy's PRNG (default 0). */
  readonly seed?: number;
}

/** Options every push source takes (`paused` and `resume` as in `drive`). */
export interface PushOptions extends DriveOptions {
  /** Examples per step, at most. */
  readonly batchSize: number;
  /** A partial batch is handed to training once its oldest example waited this long (default: only full batches, and the rest on complete). */
  readonly maxWaitMs?: number;
  /**
   * Features per example (default: fixed by the first valid example). Set it when you do not
   * control the producer (`ingest`, a socket, stdin): otherwise a wrong first example fixes the
   * width, every right one after it is rejected, and the model fails the run at its first step.
   */
  readonly features?: number;
  /**
   * A classifier's classes: a label outside the integers [0, classes) is rejected (counted) like
   * any bad input. Without it any finite label passes, and one the model cannot take (7 for a
   * binary model) fails the run at the evaluation: set it when the producer is not yours.
   */
  readonly classes?: number;
  /** The bounded queue (default 10,000 examples, `block`). */
  readonly queue?: QueueOptions;
  /** Training gives the event loop a turn after this many ms of steps, so producers run (default 5). */
  readonly yieldEveryMs?: number;
  /** Timers, turns and the clock (default: `asyncScheduler` for timers and clock, `setImmediate` for turns); a TestScheduler in tests. */
  readonly scheduler?: SchedulerLike;
}

/** What a producer feeds (the source's side of the queue). */
export interface PushSink {
  /** Count, check and queue one example (`mark`: the source's position after it); what became of it (undefined once the source has ended). */
  offer(raw: unknown, mark?: number): OfferOutcome | undefined;
  /** Count an input rejected before it became an example, with the reason. */
  reject(reason: string): void;
  /** No more input: queued examples are still trained, then the stream completes. */
  complete(): void;
  /** The producer failed: the stream errors. */
  error(err: unknown): void;
  /** Whether the queue is full and its policy is `block`: the producer should wait for `resume`. */
  readonly blocked: boolean;
  /** The reason the last rejected input was rejected. */
  readonly lastReason: string | undefined;
}

/** What a push source's producer can do when asked. */
export interface PushProducer {
  /** Stop reading (policy `block`, queue full). */
  pause?(): void;
  /** Read again (the queue drained to half its capacity). */
  resume?(): void;
  /** Release everything (the subscription ended). */
  stop?(): void;
}

/**
 * The core of every push source: a producer feeds a bounded `ExampleQueue`; training takes
 * micro-batches from it as steps.
 *
 * 1. Per subscription: a run (`RunScope.open(resume.state)`), registering the `SourcePosition`
 *    under `source` (with the settled ingest counters, `ExampleQueue.settled()`); a new queue;
 *    then `start(sink, restored, scope)` starts the producer (which may register its own
 *    checkpointable parts in the run's `scope`).
 * 2. A step is emitted when `batchSize` examples are queued (or the queue is full, if it holds
 *    fewer), when the oldest queued example has waited `maxWaitMs` (a partial batch), and for
 *    the rest after `complete` — then the stream completes. Steps are emitted from their own event-loop turns, never from inside the
 *    producer's call, so a faster producer fills the queue and its policy applies. After
 *    `yieldEveryMs` of steps, training yields a turn so producers run.
 * 3. With policy `block`, `producer.pause()` is called when the queue is full and `resume()`
 *    once it drained to half its capacity.
 * 4. While `paused` is true no step is emitted (the queue fills, its policy applies); `false`
 *    resumes. With `resume`, step and example counts and the ingest counters continue from the
 *    checkpoint's, and the producer gets its position (`restored`) to continue after it.
 * 5. Each step: `step` (from 1, or after the resumed one), `epoch` 1, `batch` (an
 *    `ExampleBatch`, no tensors), `size`, `examples`, `startedAt`, `hyper` {}, `scope`, and
 *    `online.ingest` (received, queued, trained, dropped, rejected, last reason, lag).
 * 6. Unsubscribing, an error or completion stops the producer and every timer.
 *
 * @example
 * const src = pushSource((sink) => { sink.offer({ x: [1], y: 0 }); sink.complete(); return {}; }, { batchSize: 8 });
 * src.subscribe((s) => console.log(s.size, s.online?.ingest)); // 1 { received: 1, queued: 0, trained: 1, … }
 */
export function pushSource(
  start: (sink: PushSink, restored: SourcePosition | undefined, scope: RunScope) => PushProducer | void,
  options: PushOptions,
): Observable<Step<ExampleBatch>> {
  const batchSize = positiveInt('batchSize', options?.batchSize);
  const maxWaitMs = options.maxWaitMs === undefined ? undefined : inRange('maxWaitMs', options.maxWaitMs, { min: 0 });
  const capacity = positiveInt('queue.capacity', options.queue?.capacity ?? 10_000);
  const policy = queuePolicy(options.queue?.policy ?? 'block');
  const seed = seed32('queue.seed', options.queue?.seed ?? 0);
  const yieldEveryMs = inRange('yieldEveryMs', options.yieldEveryMs ?? 5, { min: 0 });
  const features = options.features === undefined ? undefined : positiveInt('features', options.features);
  const classes = options.classes === undefined ? undefined : positiveInt('classes', options.classes);
  const timers = options.scheduler ?? asyncScheduler;

  return new Observable<Step<ExampleBatch>>((subscriber) => {
    const scope = RunScope.open(options.resume?.state);
    subscriber.add(() => scope.end());
    const restored = sourcePosition(scope.restored(SOURCE_KEY));
    let step = restored?.step ?? 0;
    let examples = restored?.examples ?? 0;
    let position = restored?.position;
    const counts = restored?.ingest && { ...restored.ingest, trained: examples };
    const queue = new ExampleQueue({ capacity, policy, features, classes, random: mulberry32(seed), counts });
    scope.register(SOURCE_KEY, { save: (): SourcePosition => ({ step, examples, ...(position !== undefined && { position }), ingest: queue.settled() }) });
    let producer: PushProducer = {};
    let done = false;
    let isPaused = false;
    let producerPaused = false;
    let cancelTurn: (() => void) | undefined;
    let timer: Subscription | undefined;

    const emit = () => {
      const { batch, mark } = queue.take(batchSize);
      step += 1;
      examples += batch.n;
      if (!Number.isNaN(mark)) position = mark;
      if (producerPaused && queue.length <= capacity / 2) {
        producerPaused = false;
        producer.resume?.();
      }
      subscriber.next(scope.own({
        step,
        epoch: 1,
        batch,
        size: batch.n,
        examples,
        startedAt: performance.now(),
        hyper: {},
        scope,
        online: { ingest: queue.counters(timers.now()) },
      }));
    };
    const ready = (): boolean => {
      const n = queue.length;
      if (n >= batchSize || n === capacity) return true;
      if (n === 0) return false;
      return done || (maxWaitMs !== undefined && timers.now() - (queue.oldestArrival as number) >= maxWaitMs);
    };
    const drain = () => {
      cancelTurn = undefined;
      const t0 = performance.now();
      while (!subscriber.closed && !isPaused && ready()) {
        emit();
        if (performance.now() - t0 >= yieldEveryMs) return schedule();
      }
      if (subscriber.closed || isPaused) return;
      if (done && queue.length === 0) return subscriber.complete();
      arm();
    };
    const schedule = () => {
      if (!cancelTurn && !subscriber.closed) cancelTurn = later(drain, undefined, options.scheduler);
    };
    // The partial-batch timer: due when the oldest queued example has waited maxWaitMs.
    const arm = () => {
      if (maxWaitMs === undefined || timer || queue.length === 0 || isPaused) return;
      const wait = Math.max(0, maxWaitMs - (timers.now() - (queue.oldestArrival as number)));
      timer = timers.schedule(() => {
        timer = undefined;
        drain();
      }, wait);
    };
    const sink: PushSink = {
      offer: (raw, mark) => {
        if (subscriber.closed || done) return undefined;
        const outcome = queue.offer(raw, timers.now(), mark);
        if (queue.full && policy === 'block' && !producerPaused) {
          producerPaused = true;
          producer.pause?.();
        }
        if (queue.length >= batchSize || queue.full) schedule();
        else arm();
        return outcome;
      },
      reject: (reason) => {
        if (!subscriber.closed && !done) queue.reject(reason);
      },
      complete: () => {
        if (done) return;
        done = true;
        schedule();
      },
      error: (err) => subscriber.error(err),
      get blocked() {
        return policy === 'block' && queue.full;
      },
      get lastReason() {
        return queue.lastReason;
      },
    };
    const pauseSub = options.paused?.subscribe({
      next: (p) => {
        isPaused = p;
        if (!p) schedule();
      },
      error: (err) => subscriber.error(err),
    });
    try {
      producer = start(sink, restored, scope) ?? {};
    } catch (err) {
      subscriber.error(err);
    }
    return () => {
      pauseSub?.unsubscribe();
      cancelTurn?.();
      timer?.unsubscribe();
      producer.stop?.();
    };
  });
}
