import { describe, expect, it, vi } from 'vitest';
import { Subject, take } from 'rxjs';
import { operate } from '../../streams/operate';
import { marbles } from '../helpers';

const double = (teardown = () => {}, release = (_: number) => {}) =>
  operate<number, number>((out) => ({
    next: (x) => {
      if (x < 0) throw new Error(`negative ${x}`);
      out.next(2 * x);
    },
    teardown,
    release,
  }));

describe('operate', () => {
  it('calls handlers written as methods with the handlers as `this`', () => {
    // A running sum kept on the handlers record: 1, 1 + 2 = 3, 3 + 4 = 7.
    const sum = () =>
      operate<number, number>((out) => {
        const handlers = {
          total: 0,
          next(this: { total: number }, x: number) {
            this.total += x;
            out.next(this.total);
          },
        };
        return handlers;
      });
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c|', { a: 1, b: 2, c: 4 }).pipe(sum())).toBe('-a-b-c|', { a: 1, b: 3, c: 7 });
    });
  });

  it('maps values and mirrors the subscription lifetime', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-|', { a: 1, b: 2 });
      expectObservable(src.pipe(double())).toBe('-a-b-|', { a: 2, b: 4 });
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
  });

  it('turns a throw into an error, releases the value and unsubscribes upstream', () => {
    const release = vi.fn();
    const teardown = vi.fn();
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c|', { a: 1, b: -1, c: 3 });
      expectObservable(src.pipe(double(teardown, release))).toBe('-a-#', { a: 2 }, new Error('negative -1'));
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
    expect(release).toHaveBeenCalledWith(-1);
    expect(teardown).toHaveBeenCalledTimes(1);
  });

  it('passes upstream errors through and tears down once', () => {
    const teardown = vi.fn();
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', { a: 1 }, new Error('up')).pipe(double(teardown))).toBe('-a-#', { a: 2 }, new Error('up'));
    });
    expect(teardown).toHaveBeenCalledTimes(1);
  });

  it('tears down on early unsubscribe', () => {
    const teardown = vi.fn();
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
      expectObservable(src.pipe(double(teardown)), '^--!').toBe('-a-', { a: 2 });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
    expect(teardown).toHaveBeenCalledTimes(1);
  });

  it('cuts a synchronous source with take and tears down once', () => {
    const teardown = vi.fn();
    const seen: number[] = [];
    const s = new Subject<number>();
    s.pipe(double(teardown), take(2)).subscribe((v) => seen.push(v));
    [1, 2, 3].forEach((v) => s.next(v));
    expect(seen).toEqual([2, 4]);
    expect(teardown).toHaveBeenCalledTimes(1);
  });

  it('errors when setup throws', () => {
    marbles().run(({ cold, expectObservable }) => {
      const bad = operate<number, number>(() => {
        throw new Error('setup');
      });
      expectObservable(cold('-a|', { a: 1 }).pipe(bad)).toBe('#', undefined, new Error('setup'));
    });
  });
});
