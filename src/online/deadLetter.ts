/** Bytes of a malformed message's payload kept in its dead letter (the letter must fit in a NATS message, 1 MiB by default). */
export const DEAD_LETTER_PAYLOAD = 256 * 1024;

/** Where a malformed message came from, and why it was refused. */
export interface DeadLetterSource {
  /** Why it is malformed (an `RxgradError`'s message: field, expected, got). */
  readonly reason: string;
  /** The stream and subject it was read from, and its stream sequence. */
  readonly stream: string;
  readonly subject: string;
  readonly sequence: number;
  /** Its delivery count when it was refused. */
  readonly deliveries: number;
  /** Its payload as received. */
  readonly data: Uint8Array;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The dead letter of a malformed stream message, as every rxgrad consumer of a JetStream stream
 * (`jetstream()`, `gradientWorker`) publishes it:
 *
 * 1. `body`: UTF-8 JSON `{ reason, stream, subject, sequence, deliveries, payload }`, plus
 *    `payloadBytes` (the full size) when the payload was cut.
 * 2. `payload` is the message's first `DEAD_LETTER_PAYLOAD` (256 KiB) bytes as text when they
 *    are UTF-8, else `base64:` and their standard base64 — so a near-1 MiB malformed message
 *    still makes a letter that fits in a message.
 * 3. `msgID` is `<stream>-<sequence>`: the dead-letter stream stores one letter per message,
 *    however often it is refused (redeliveries, several consumers).
 *
 * @example
 * encodeDeadLetter({ reason: 'Expected `x` 6 features, got 2', stream: 'rxgrad', subject: 'rxgrad.examples', sequence: 7, deliveries: 1, data: new TextEncoder().encode('{"x":[1,2]}') });
 * // { msgID: 'rxgrad-7', body: '{"reason":"Expected `x` 6 features, got 2","stream":"rxgrad","subject":"rxgrad.examples","sequence":7,"deliveries":1,"payload":"{\\"x\\":[1,2]}"}' }
 */
export function encodeDeadLetter(source: DeadLetterSource): { readonly msgID: string; readonly body: string } {
  const { reason, stream, subject, sequence, deliveries, data } = source;
  const kept = data.subarray(0, DEAD_LETTER_PAYLOAD);
  let payload: string;
  try {
    payload = strictUtf8.decode(kept);
  } catch {
    payload = `base64:${Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64')}`;
  }
  const cut = data.length > DEAD_LETTER_PAYLOAD ? { payloadBytes: data.length } : {};
  return { msgID: `${stream}-${sequence}`, body: JSON.stringify({ reason, stream, subject, sequence, deliveries, payload, ...cut }) };
}
