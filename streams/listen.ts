import type { Observable, Subscriber, Subscription } from 'rxjs';

/**
 * Follow a side stream (a hyperparameter stream, a metric stream) for the life of an operator's
 * subscription — call it from `operate`'s setup and unsubscribe in `teardown`.
 *
 * 1. `next` handles each value; a throw in it fails the operator's output.
 * 2. An error of the side stream fails the output; its completion is ignored (what it last
 *    delivered stays in force).
 * 3. A failure while subscribing (a synchronous stream that errors at once, a first value that
 *    is rejected) is thrown, so `operate` fails the output without subscribing to the steps.
 *
 * @example
 * operate<Step, Step>((out) => {
 *   let lr = 0.1;
 *   const sub = listen(slider$, out, (v) => (lr = v));
 *   return { next: (s) => out.next({ ...s, hyper: { ...s.hyper, lr } }), teardown: () => sub.unsubscribe() };
 * });
 */
export function listen<T>(source: Observable<T>, subscriber: Pick<Subscriber<unknown>, 'error'>, next: (value: T) => void): Subscription {
  let early: { readonly err: unknown } | undefined;
  let ready = false;
  const fail = (err: unknown) => {
    if (ready) subscriber.error(err);
    else early ??= { err };
  };
  const subscription = source.subscribe({
    next: (value) => {
      if (early) return;
      try {
        next(value);
      } catch (err) {
        fail(err);
      }
    },
    error: fail,
  });
  if (early) {
    subscription.unsubscribe();
    throw early.err;
  }
  ready = true;
  return subscription;
}
