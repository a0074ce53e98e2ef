import { RxgradError, shown } from '../RxgradError';
import { parseJsonLine } from './parseJsonLine';

/** One example as a message payload on a stream: JSON `{ "x": [...], "y"?: number, "id"?: string }`. */
export interface ExampleMessage {
  readonly x: readonly number[];
  /** The label; absent when it comes later (the example is unlabelled). */
  readonly y?: number;
  /** Joins a later label to this example. */
  readonly id?: string | number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The payload of one example message: UTF-8 JSON `{"x":[…],"y":…,"id":…}` (`y` left out when
 * it is NaN or absent: no label yet; `id` left out when absent). Values are written as
 * JavaScript numbers (a float32 feature keeps its exact value).
 *
 * @example
 * new TextDecoder().decode(encodeExampleMessage(Float32Array.of(0.5, 1), 1, 'a')); // '{"x":[0.5,1],"y":1,"id":"a"}'
 */
export function encodeExampleMessage(x: ArrayLike<number>, y: number | undefined, id?: string | number): Uint8Array {
  const m: { x: number[]; y?: number; id?: string | number } = { x: Array.from(x) };
  if (y !== undefined && !Number.isNaN(y)) m.y = y;
  if (id !== undefined) m.id = id;
  return encoder.encode(JSON.stringify(m));
}

/**
 * Read one example message's payload: the JSON value it holds (checked as an example later, by
 * the queue), or an `RxgradError` whose message is the reason it is malformed — not UTF-8, or
 * not JSON (the text's start quoted).
 *
 * @example
 * decodeExampleMessage(new TextEncoder().encode('{"x":[1,2],"y":0}')); // { x: [1, 2], y: 0 }
 * decodeExampleMessage(new TextEncoder().encode('{"x":[1,')); // throws 'Expected `line` JSON, got "{\"x\":[1,"'
 */
export function decodeExampleMessage(data: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    throw new RxgradError('message', 'UTF-8 text', shown(`${data.length} bytes that are not UTF-8`));
  }
  return parseJsonLine(text);
}
