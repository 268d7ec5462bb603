import type { FastifyBaseLogger as Logger } from 'fastify';
import { DebugEvents, Events, type NatsConnection } from 'nats';
import { NatsConnectionImpl, setTransportFactory } from 'nats/lib/nats-base-client/internal_mod.js';
import { NodeTransport, nodeResolveHost } from 'nats/lib/src/node_transport.js';

/**
 * nats.js writes its outbound buffer to the socket on the microtask after a publish, so publishes
 * made by different I/O callbacks of one event-loop turn (many turns' chunks, replies) each cost a
 * socket write, and on loopback a write costs as much CPU as a small publish itself. This
 * transport writes the first frame of a loop turn at once (a lone publish waits for nothing) and
 * gathers the frames sent after it in the same turn into one write once the I/O callbacks have
 * run (setImmediate); frames keep their order.
 */
class BatchingTransport extends NodeTransport {
  #frames: Uint8Array[] = [];
  /** Set from the first write of a loop turn until the gathered frames are written. */
  #window: NodeJS.Immediate | undefined;

  override send(frame: Uint8Array): void {
    if (this.#window === undefined) {
      super.send(frame);
      this.#window = setImmediate(() => this.#writeGathered());
      return;
    }
    this.#frames.push(frame);
  }

  override close(err?: Error): Promise<void> {
    // What was sent before a close must not be dropped by it (drain ends with a close).
    this.#writeGathered();
    return super.close(err);
  }

  #writeGathered(): void {
    if (this.#window !== undefined) clearImmediate(this.#window);
    this.#window = undefined;
    const frames = this.#frames;
    if (frames.length === 0) return;
    this.#frames = [];
    super.send(frames.length === 1 ? (frames[0] as Uint8Array) : Buffer.concat(frames));
  }
}

/** A NATS connection that keeps reconnecting for as long as the process lives, and knows its state. */
export interface NatsHandle {
  readonly nc: NatsConnection;
  /** False from a disconnect until the next successful reconnect. */
  isConnected(): boolean;
  /** Flushes subscriptions and pending publishes, then closes. Safe to call more than once. */
  drain(): Promise<void>;
}

export interface NatsOptions {
  /** Comma-separated server URLs, as in `NATS_URL`. */
  servers: string;
  /** Connection name shown by `nats server report connections`. */
  name: string;
  log: Logger;
  /** How often to ping the server; two missed pings count as a lost connection. */
  pingIntervalMs?: number;
}

/**
 * Connects with reconnects that never give up (nats.js stops after 10 by default, ~20 s) and a
 * short ping interval (the default 2 min would leave a dead server unnoticed for minutes).
 * Waits for the first connection, logging while it waits, so a service never runs half-wired.
 */
export async function connectNats(options: NatsOptions): Promise<NatsHandle> {
  const { log } = options;
  const servers = options.servers.split(',').map((s) => s.trim());
  const waiting = setInterval(() => log.warn({ servers }, 'still waiting for NATS'), 5_000);
  let nc: NatsConnection;
  try {
    // What nats' own `connect` does, with the batching transport in place of its NodeTransport.
    setTransportFactory({ factory: () => new BatchingTransport(), dnsResolveFn: nodeResolveHost });
    nc = await NatsConnectionImpl.connect({
      servers,
      name: options.name,
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      reconnectJitter: 500,
      pingInterval: options.pingIntervalMs ?? 5_000,
      maxPingOut: 2,
      // Otherwise every request (each JetStream publish among them) captures two stack traces up
      // front for a timeout that almost never comes: a tenth of llm-text's CPU while streaming.
      noAsyncTraces: true,
    });
  } finally {
    clearInterval(waiting);
  }
  log.info({ server: nc.getServer() }, 'connected to NATS');
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) {
        connected = false;
        log.warn({ server: String(status.data) }, 'NATS disconnected');
      } else if (status.type === Events.Reconnect) {
        connected = true;
        log.info({ server: String(status.data) }, 'NATS reconnected');
      } else if (status.type === Events.Error) {
        log.warn({ err: status.data }, 'NATS error');
      } else if (status.type === DebugEvents.StaleConnection) {
        connected = false;
      }
    }
  })();
  let draining: Promise<void> | undefined;
  return {
    nc,
    isConnected: () => connected && !nc.isClosed() && !nc.isDraining(),
    drain() {
      if (nc.isClosed()) return Promise.resolve();
      draining ??= nc.drain().catch((err: unknown) => log.warn({ err }, 'NATS drain failed'));
      return draining;
    },
  };
}
