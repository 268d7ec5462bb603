import { RequestStrategy, type NatsConnection } from 'nats';
import type { FastifyBaseLogger } from 'fastify';
import type { ServiceInstance, ServiceStatus } from '@voxgate/protocol';

interface Seen {
  name: string;
  instance: ServiceInstance;
  lastSeenMs: number;
}

/** Ping rounds an instance may miss before it counts as down. */
const MISSED_ROUNDS_DOWN = 3;
/** Rounds after which a missing instance is forgotten, so replaced replicas do not pile up. */
const MISSED_ROUNDS_FORGET = 60;

/**
 * Which services run, from `$SRV.PING` rounds of the NATS services API. Every instance answers
 * a round, so the gateway sees replicas and notices within a few intervals one that stopped,
 * whether it exited cleanly or was killed.
 */
export class ServiceDirectory {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: FastifyBaseLogger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const round = async () => {
      await this.ping();
      if (!this.stopped) this.timer = setTimeout(round, this.intervalMs);
    };
    void round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async ping(): Promise<void> {
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    // Instances answer within milliseconds; collect for a fraction of the interval.
    const client = this.nc.services.client({ strategy: RequestStrategy.Timer, maxWait: Math.min(500, this.intervalMs / 2) });
    const now = Date.now();
    try {
      for await (const answer of await client.ping()) {
        this.seen.set(answer.id, {
          name: answer.name,
          instance: { id: answer.id, version: answer.version, metadata: answer.metadata ?? {} },
          lastSeenMs: now,
        });
      }
    } catch (error) {
      // A round during a NATS outage fails; the instances simply age until NATS is back.
      this.log.debug({ err: error }, 'service ping round failed');
    }
    for (const [id, s] of this.seen) {
      if (now - s.lastSeenMs > this.intervalMs * MISSED_ROUNDS_FORGET) this.seen.delete(id);
    }
  }

  /** The state of each named service as of now. */
  status(names: readonly string[]): ServiceStatus[] {
    const now = Date.now();
    const downAfterMs = this.intervalMs * MISSED_ROUNDS_DOWN;
    const all = [...this.seen.values()];
    return names.map((name) => {
      const mine = all.filter((s) => s.name === name);
      const live = mine.filter((s) => now - s.lastSeenMs <= downAfterMs);
      const status: ServiceStatus = { name, up: live.length > 0, instances: live.map((s) => s.instance) };
      if (mine.length > 0) status.lastSeenAgoMs = now - Math.max(...mine.map((s) => s.lastSeenMs));
      return status;
    });
  }
}
