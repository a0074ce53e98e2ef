import { RxgradError } from '../../src/RxgradError';

/** The NATS client packages rxgrad's JetStream parts use (optional peer dependencies). */
export interface NatsModules {
  readonly transport: typeof import('@nats-io/transport-node');
  readonly jetstream: typeof import('@nats-io/jetstream');
  readonly kv: typeof import('@nats-io/kv');
  readonly obj: typeof import('@nats-io/obj');
}

/** What to run when a package is missing. */
const INSTALL = 'npm install @nats-io/transport-node @nats-io/jetstream @nats-io/kv @nats-io/obj';

/** Import one optional package, or fail naming it and the install command. */
async function load<T>(name: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new RxgradError(name, `an installed ${name} (an optional peer dependency of rxgrad, needed for NATS JetStream)`, 'not installed', INSTALL);
    }
    throw err;
  }
}

let loaded: Promise<NatsModules> | undefined;

/**
 * The official NATS v3 clients, imported on first use (the core library never requires them):
 *
 * 1. Resolves `@nats-io/transport-node`, `@nats-io/jetstream`, `@nats-io/kv` and `@nats-io/obj`
 *    once per process.
 * 2. A missing package rejects with an `RxgradError` naming it and the `npm install` line; the
 *    next call tries again.
 *
 * @example
 * const { transport, jetstream } = await loadNats();
 * const nc = await transport.connect({ servers: 'nats://127.0.0.1:4222' });
 * const js = jetstream.jetstream(nc);
 */
export function loadNats(): Promise<NatsModules> {
  loaded ??= Promise.all([
    load<NatsModules['transport']>('@nats-io/transport-node'),
    load<NatsModules['jetstream']>('@nats-io/jetstream'),
    load<NatsModules['kv']>('@nats-io/kv'),
    load<NatsModules['obj']>('@nats-io/obj'),
  ]).then(([transport, jetstream, kv, obj]) => ({ transport, jetstream, kv, obj }));
  loaded.catch(() => (loaded = undefined));
  return loaded;
}
