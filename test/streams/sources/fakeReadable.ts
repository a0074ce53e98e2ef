import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Observable, Subscription } from 'rxjs';

/**
 * A stand-in for a Node readable driven by an Observable of chunks (for marble tests in virtual
 * time): each value is a 'data' event, completion 'end', an error 'error'. It records pauses.
 */
export function fakeReadable(chunks: Observable<string>): Readable & { readonly log: string[] } {
  const r = new EventEmitter() as EventEmitter & { log: string[]; pause(): unknown; resume(): unknown; destroy(): unknown };
  r.log = [];
  let sub: Subscription | undefined;
  r.on('newListener', (event) => {
    if (event === 'data' && !sub) {
      sub = chunks.subscribe({ next: (c) => r.emit('data', Buffer.from(c)), error: (e) => r.emit('error', e), complete: () => r.emit('end') });
    }
  });
  r.pause = () => r.log.push('pause');
  r.resume = () => r.log.push('resume');
  r.destroy = () => {
    r.log.push('destroy');
    sub?.unsubscribe();
  };
  return r as unknown as Readable & { readonly log: string[] };
}
