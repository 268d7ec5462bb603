import { Type, type Static } from 'typebox';

/**
 * The names each service registers under the NATS services API, so `$SRV.PING.<name>` finds it.
 * They double as the log prefix of `npm start` and the compose service names.
 */
export const ServiceName = {
  gateway: 'gateway',
  session: 'session',
  realtimeRelay: 'realtime-relay',
  llmText: 'llm-text',
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];

/** The services behind the gateway, in the order the status line shows them. */
export const DOWNSTREAM_SERVICES: readonly ServiceName[] = [
  ServiceName.session,
  ServiceName.llmText,
  ServiceName.realtimeRelay,
];

/** One running instance of a service as its `$SRV.PING` answer describes it. */
export const ServiceInstance = Type.Object({
  id: Type.String(),
  version: Type.String(),
  /** Free-form metadata the service registered, e.g. a relay's WebSocket address. */
  metadata: Type.Record(Type.String(), Type.String()),
});
export type ServiceInstance = Static<typeof ServiceInstance>;

/** A downstream service as the gateway sees it. */
export const ServiceStatus = Type.Object({
  name: Type.String(),
  /** True when at least one instance answered a recent `$SRV.PING`. */
  up: Type.Boolean(),
  instances: Type.Array(ServiceInstance),
  /** Milliseconds since an instance last answered; absent if none ever did. */
  lastSeenAgoMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ServiceStatus = Static<typeof ServiceStatus>;

/** Body of the gateway's `GET /readyz` and `GET /api/status`. */
export const GatewayStatus = Type.Object({
  ready: Type.Boolean(),
  nats: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
  services: Type.Array(ServiceStatus),
  /** Why the gateway is not ready, one short reason each; empty when ready. */
  reasons: Type.Array(Type.String()),
});
export type GatewayStatus = Static<typeof GatewayStatus>;

/** Body of every service's own `GET /readyz`. */
export const Readiness = Type.Object({
  ready: Type.Boolean(),
  reasons: Type.Array(Type.String()),
});
export type Readiness = Static<typeof Readiness>;
