import { Type, type Static } from 'typebox';

/**
 * The relay registry: each realtime-relay replica keeps one entry in a NATS KV bucket, and the
 * gateway picks the least-loaded live one for each realtime WebSocket.
 *
 * NATS 2.9 (what Debian ships) has no per-message TTL, so liveness is two-fold: the bucket's
 * `max_age` drops an entry that stopped being refreshed, and readers also ignore entries whose
 * `updatedAt` is older than `staleAfterMs` (the bucket's expiry runs on the server's own schedule).
 */
export const RelayRegistry = {
  bucket: 'voxgate-relays',
  /** Every entry is rewritten this often, and on each session open and close. */
  refreshIntervalMs: 2_000,
  /** The bucket's `max_age`: an entry not rewritten for this long is removed by NATS. */
  maxAgeMs: 8_000,
  /** Readers treat an entry older than this as dead. */
  staleAfterMs: 6_000,
} as const;

/** The value of a replica's registry entry; the key is `id`. */
export const RelayEntry = Type.Object({
  /** The replica's id (its NATS services-API instance id); also the KV key. */
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }),
  /** The WebSocket base address the gateway dials, e.g. `ws://10.0.0.5:8765`. */
  address: Type.String(),
  activeSessions: Type.Integer({ minimum: 0 }),
  /** `RELAY_MAX_SESSIONS`: sessions it takes before refusing with 503. */
  capacity: Type.Integer({ minimum: 1 }),
  /** True after SIGTERM: it takes no new sessions; running ones go on for the grace period. */
  draining: Type.Boolean(),
  /** Milliseconds since the epoch of the last refresh. */
  updatedAt: Type.Integer({ minimum: 0 }),
});
export type RelayEntry = Static<typeof RelayEntry>;

const ROOT = 'voxgate.realtime';

/** Subjects of the relay's session events (plain NATS publications, for metrics and audit). */
export const RealtimeSubjects = {
  sessionOpened: `${ROOT}.session.opened`,
  sessionClosed: `${ROOT}.session.closed`,
  usage: `${ROOT}.usage`,
  transcript: `${ROOT}.transcript`,
} as const;

const SessionBase = {
  sessionId: Type.String(),
  relayId: Type.String(),
  model: Type.String(),
  provider: Type.String(),
  conversationId: Type.String(),
  /** The gateway's request id (`x-request-id` on the upgrade), when it sent one. */
  requestId: Type.Optional(Type.String()),
};

export const RealtimeSessionOpened = Type.Object({ ...SessionBase, openedAt: Type.String() });
export type RealtimeSessionOpened = Static<typeof RealtimeSessionOpened>;

/** Why a session ended, as the relay saw it. */
export const RealtimeCloseReason = Type.Union([
  Type.Literal('client_closed'),
  Type.Literal('provider_closed'),
  Type.Literal('provider_unreachable'),
  Type.Literal('max_duration'),
  Type.Literal('idle'),
  Type.Literal('slow_client'),
  Type.Literal('shutdown'),
  Type.Literal('error'),
]);
export type RealtimeCloseReason = Static<typeof RealtimeCloseReason>;

export const RealtimeSessionClosed = Type.Object({
  ...SessionBase,
  durationMs: Type.Integer({ minimum: 0 }),
  reason: RealtimeCloseReason,
  /** The close code sent to the client. */
  closeCode: Type.Integer(),
  /** Audio deltas not sent to the client because it read too slowly. */
  droppedAudioFrames: Type.Integer({ minimum: 0 }),
});
export type RealtimeSessionClosed = Static<typeof RealtimeSessionClosed>;

/** Token usage of one response, from the provider's `response.done`. */
export const RealtimeUsageEvent = Type.Object({
  ...SessionBase,
  responseId: Type.Optional(Type.String()),
  inputTokens: Type.Integer({ minimum: 0 }),
  outputTokens: Type.Integer({ minimum: 0 }),
  totalTokens: Type.Integer({ minimum: 0 }),
});
export type RealtimeUsageEvent = Static<typeof RealtimeUsageEvent>;

/** One side's finished utterance. The text is user content: it sits under `pii`. */
export const RealtimeTranscriptEvent = Type.Object({
  ...SessionBase,
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  itemId: Type.Optional(Type.String()),
  pii: Type.Object({ text: Type.String() }),
});
export type RealtimeTranscriptEvent = Static<typeof RealtimeTranscriptEvent>;
