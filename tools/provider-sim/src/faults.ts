import { type Static, Type } from 'typebox';
import { PROVIDERS, type ProviderId } from './provider.js';

/** Faults of HTTP requests (text APIs). */
export const HTTP_FAULT_KINDS = ['rate_limit', 'server_error', 'stall_before_first_token', 'disconnect_mid_stream', 'slow_tokens', 'invalid_key'] as const;
/** Faults of realtime WebSocket sessions, taken when a socket asks to upgrade. */
export const REALTIME_FAULT_KINDS = ['realtime_drop_after_ms', 'realtime_refuse', 'realtime_invalid_key', 'realtime_go_away'] as const;
/** Faults of WebRTC calls, taken by `POST /realtime/calls` (which also takes HTTP faults). */
export const WEBRTC_FAULT_KINDS = ['webrtc_ice_blackhole'] as const;
export const FAULT_KINDS = [...HTTP_FAULT_KINDS, ...REALTIME_FAULT_KINDS, ...WEBRTC_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type HttpFaultKind = (typeof HTTP_FAULT_KINDS)[number];
/** Which traffic a fault applies to; an HTTP request never consumes a realtime fault, nor the reverse. */
export type FaultChannel = 'http' | 'realtime' | 'webrtc';

/** Body of `POST /_sim/faults`. */
export const FaultRequest = Type.Object(
  {
    /** Only requests to this provider; absent: any provider. */
    provider: Type.Optional(Type.Enum(PROVIDERS)),
    /** Only requests for this model id; absent: any model. */
    model: Type.Optional(Type.String({ minLength: 1 })),
    kind: Type.Enum(FAULT_KINDS),
    /** How many matching requests the fault applies to. */
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** rate_limit: the Retry-After the 429 carries. */
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    /**
     * stall_before_first_token: how long to stall (absent: until the client gives up); slow_tokens: pause before each token;
     * realtime_drop_after_ms: how long after the upgrade the socket is cut; realtime_go_away: how long
     * after `setupComplete` Gemini's `goAway` comes.
     */
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    /** disconnect_mid_stream: tokens sent before the connection is cut. */
    afterTokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    /** realtime_refuse: the HTTP status the upgrade is refused with. */
    statusCode: Type.Optional(Type.Union([Type.Literal(429), Type.Literal(503)])),
  },
  { additionalProperties: false },
);
export type FaultRequest = Static<typeof FaultRequest>;

/** Which optional fields mean something for each kind; others are refused rather than ignored. */
const FIELDS_BY_KIND: Record<FaultKind, readonly (keyof FaultRequest)[]> = {
  rate_limit: ['retryAfterSeconds'],
  server_error: [],
  stall_before_first_token: ['delayMs'],
  disconnect_mid_stream: ['afterTokens'],
  slow_tokens: ['delayMs'],
  invalid_key: [],
  realtime_drop_after_ms: ['delayMs'],
  realtime_refuse: ['statusCode', 'retryAfterSeconds'],
  realtime_invalid_key: [],
  realtime_go_away: ['delayMs'],
  webrtc_ice_blackhole: [],
};
const KIND_SPECIFIC: readonly (keyof FaultRequest)[] = ['retryAfterSeconds', 'delayMs', 'afterTokens', 'statusCode'];

/** A fault waiting in the queue, as `GET /_sim/faults` lists it. */
export type Fault = FaultRequest & { id: number; remaining: number };

const DEFAULT_RETRY_AFTER_SECONDS = 1;
const DEFAULT_SLOW_TOKEN_DELAY_MS = 100;
const DEFAULT_DISCONNECT_AFTER_TOKENS = 3;
const DEFAULT_REALTIME_DROP_AFTER_MS = 1000;
const DEFAULT_REALTIME_GO_AWAY_MS = 1000;
const DEFAULT_REALTIME_REFUSE_STATUS = 503;

/** Explains why a schema-valid request still makes no sense, or undefined when it does. */
export function faultRequestProblem(request: FaultRequest): string | undefined {
  // Only Gemini Live announces its end (`goAway`); another provider would take the fault and do nothing.
  if (request.kind === 'realtime_go_away' && request.provider !== 'gemini') return 'realtime_go_away applies to provider gemini only';
  const allowed = FIELDS_BY_KIND[request.kind];
  const stray = KIND_SPECIFIC.find((field) => request[field] !== undefined && !allowed.includes(field));
  return stray === undefined ? undefined : `${stray} does not apply to ${request.kind}`;
}

/**
 * Faults queued by tests, consumed first-in first-out: each matching request takes one use of the
 * oldest fault that matches it, and a fault leaves the queue when its uses run out.
 */
export class FaultQueue {
  #nextId = 1;
  #faults: Fault[] = [];

  add(request: FaultRequest): Fault {
    const fault: Fault = { ...withDefaults(request), id: this.#nextId++, remaining: request.times ?? 1 };
    this.#faults.push(fault);
    return fault;
  }

  list(): readonly Fault[] {
    return this.#faults;
  }

  clear(): number {
    const count = this.#faults.length;
    this.#faults = [];
    return count;
  }

  /** Takes one use of the first fault matching this request, if any; a request may listen on several channels. */
  take(provider: ProviderId, model: string | undefined, channel: FaultChannel | readonly FaultChannel[] = 'http'): Fault | undefined {
    const channels: readonly FaultChannel[] = typeof channel === 'string' ? [channel] : channel;
    const index = this.#faults.findIndex(
      (f) =>
        channels.includes(channelOf(f.kind)) &&
        (f.provider === undefined || f.provider === provider) &&
        (f.model === undefined || f.model === model),
    );
    const fault = this.#faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.#faults.splice(index, 1);
    return { ...fault };
  }
}

function channelOf(kind: FaultKind): FaultChannel {
  if ((WEBRTC_FAULT_KINDS as readonly string[]).includes(kind)) return 'webrtc';
  return (REALTIME_FAULT_KINDS as readonly string[]).includes(kind) ? 'realtime' : 'http';
}

function withDefaults(request: FaultRequest): FaultRequest {
  switch (request.kind) {
    case 'rate_limit':
      return { ...request, retryAfterSeconds: request.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
    case 'slow_tokens':
      return { ...request, delayMs: request.delayMs ?? DEFAULT_SLOW_TOKEN_DELAY_MS };
    case 'disconnect_mid_stream':
      return { ...request, afterTokens: request.afterTokens ?? DEFAULT_DISCONNECT_AFTER_TOKENS };
    case 'realtime_drop_after_ms':
      return { ...request, delayMs: request.delayMs ?? DEFAULT_REALTIME_DROP_AFTER_MS };
    case 'realtime_go_away':
      return { ...request, delayMs: request.delayMs ?? DEFAULT_REALTIME_GO_AWAY_MS };
    case 'realtime_refuse':
      return {
        ...request,
        statusCode: request.statusCode ?? DEFAULT_REALTIME_REFUSE_STATUS,
        ...((request.statusCode ?? DEFAULT_REALTIME_REFUSE_STATUS) === 429 ? { retryAfterSeconds: request.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS } : {}),
      };
    default:
      return request;
  }
}
