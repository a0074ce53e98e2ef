import { RxgradError } from '../RxgradError';

/**
 * Parse one NDJSON line, throwing an `RxgradError` (the rejection reason, quoting the line's
 * start) when it is not JSON.
 *
 * @example
 * parseJsonLine('{"x":[1,2],"y":0}'); // { x: [1, 2], y: 0 }
 * parseJsonLine('{"x":[1,'); // throws 'Expected `line` JSON, got "{\"x\":[1,"'
 */
export function parseJsonLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RxgradError('line', 'JSON', text.length > 40 ? `${text.slice(0, 37)}...` : text);
  }
}
