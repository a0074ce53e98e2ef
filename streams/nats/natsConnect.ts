import type { NatsConnection } from '@nats-io/nats-core';
import { RxgradError } from '../../src/RxgradError';
import { loadNats } from './loadNats';

/** NATS server URLs: one `nats://host:port` or several (a cluster). */
export type NatsServers = string | readonly string[];

/**
 * Check `servers` (at call time, so a bad option fails where it was written): a non-empty
 * string or a non-empty array of non-empty strings. Returns them as an array.
 *
 * @example
 * natsServers('servers', 'nats://127.0.0.1:4222'); // ['nats://127.0.0.1:4222']
 * natsServers('servers', []); // throws "Expected `servers` a NATS URL or a non-empty array of them …"
 */
export function natsServers(field: string, servers: unknown): string[] {
  const list = typeof servers === 'string' ? [servers] : servers;
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new RxgradError(field, "a NATS URL or a non-empty array of them ('nats://127.0.0.1:4222')", servers);
  }
  return list as string[];
}

/**
 * Connect to NATS the way every rxgrad JetStream part does:
 *
 * 1. The clients are loaded with `loadNats()` (a missing package names the install line).
 * 2. Reconnects forever, every 100 ms (`reconnectTimeWait: 100, maxReconnectAttempts: -1`):
 *    a server restart (or a cluster node leaving) is survived; requests made while
 *    disconnected wait for the reconnection or time out.
 * 3. `name` shows in the server's connection list (`rxgrad-publish`, `rxgrad-trainer` …).
 *
 * @example
 * const nc = await natsConnect(['nats://127.0.0.1:4222'], 'rxgrad-trainer');
 * await nc.drain();
 */
export async function natsConnect(servers: readonly string[], name: string): Promise<NatsConnection> {
  const { transport } = await loadNats();
  return transport.connect({ servers: [...servers], name, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
}
