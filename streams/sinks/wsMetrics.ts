import { Observable, type MonoTypeOperatorFunction, type Subscription } from 'rxjs';
import type { StepResult } from '../Step';
import { MetricsServer, type MetricsServerOptions } from './MetricsServer';
import type { RunSpec } from './protocol';
import { publishRun } from './publishRun';
import { RunChannel } from './RunChannel';

/** `wsMetrics` with its own server: the server's options, the run's description and a callback once it listens. */
export interface WsMetricsOptions extends MetricsServerOptions {
  /** The run's id, name, config … (default id and name `run`). */
  readonly run?: Partial<RunSpec>;
  /** Called once the server listens (e.g. to print `server.url`, which holds the token). */
  readonly onListening?: (server: MetricsServer) => void;
}

/**
 * Publish every `StepResult` to dashboard clients over WebSocket, passing it on unchanged.
 *
 * 1. `wsMetrics(run)` publishes to a run registered with `server.run(spec)` (several runs can
 *    share one server): `publishRun(run)`. `wsMetrics(options)` starts its own `MetricsServer`
 *    on subscribe, subscribes to the source once it listens (after `onListening`) and closes
 *    it when the stream ends. A server that cannot listen (EADDRINUSE …) errors the stream
 *    before the source is subscribed, also for a synchronous source.
 * 2. Publishing never waits for a client: each point is serialized once and queued per client
 *    (bounded, coalesced for slow clients).
 * 3. A client's `stop` completes the output (and so unsubscribes the source); the run is then
 *    marked `stopped`. Complete marks it `done`, an error `error` (the error passes on),
 *    unsubscribing `stopped`.
 *
 * @example
 * const server = await metricsServer({ port: 8080 });
 * console.log(server.url); // http://127.0.0.1:8080/?token=…
 * const run = server.run({ id: 'sgd', name: 'SGD lr 0.05', config: { batchSize: 10 } });
 * minibatches(data, { batchSize: 10, paused: run.paused, yieldEveryMs: 10 })
 *   .pipe(gradients(loss, params), learningRate(0.05), optimize(sgd()), applyUpdates(params), wsMetrics(run))
 *   .subscribe();
 */
export function wsMetrics(target: RunChannel | WsMetricsOptions = {}): MonoTypeOperatorFunction<StepResult> {
  if (target instanceof RunChannel) return publishRun(target);
  const { run, onListening, ...serverOptions } = target;
  return (source) =>
    new Observable<StepResult>((subscriber) => {
      const server = new MetricsServer(serverOptions);
      const channel = server.run({ id: 'run', name: 'run', ...run });
      let subscription: Subscription | undefined;
      server.listening.then(
        () => {
          if (subscriber.closed) return;
          onListening?.(server);
          subscription = source.pipe(publishRun(channel)).subscribe(subscriber);
        },
        (err) => subscriber.error(err),
      );
      return () => {
        subscription?.unsubscribe();
        void server.close();
      };
    });
}
