import { Type, type Static } from 'typebox';
import { TurnChunk } from './chat.js';

const TurnId = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });

/**
 * Page → gateway on `GET /api/ws`: follow a turn's chunks after chunk `after` (0: from the start).
 * Subscribing again to the same turn moves its cursor; the gateway never sends a chunk twice on
 * one subscription.
 */
export const WsTurnSubscribe = Type.Object(
  { type: Type.Literal('turn.subscribe'), turnId: TurnId, after: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
export type WsTurnSubscribe = Static<typeof WsTurnSubscribe>;

/** Page → gateway: stop following a turn (the turn itself goes on). */
export const WsTurnUnsubscribe = Type.Object(
  { type: Type.Literal('turn.unsubscribe'), turnId: TurnId },
  { additionalProperties: false },
);
export type WsTurnUnsubscribe = Static<typeof WsTurnUnsubscribe>;

/** Every frame the page may send on `/api/ws`. */
export const WsClientEvent = Type.Union([WsTurnSubscribe, WsTurnUnsubscribe]);
export type WsClientEvent = Static<typeof WsClientEvent>;

/** Gateway → page: one chunk of a followed turn, in order; the last one is `done` or `error`. */
export const WsTurnChunk = Type.Object({ type: Type.Literal('turn.chunk'), turnId: TurnId, chunk: TurnChunk });
export type WsTurnChunk = Static<typeof WsTurnChunk>;

/**
 * Gateway → page: a frame was refused (`invalid_frame`), a turn is unknown (`turn_not_found`), or
 * following it failed; `turnId` says which subscription, when one is concerned.
 */
export const WsError = Type.Object({
  type: Type.Literal('error'),
  code: Type.String(),
  message: Type.String(),
  turnId: Type.Optional(Type.String()),
});
export type WsError = Static<typeof WsError>;

/** Every frame the gateway sends on `/api/ws`. */
export const WsServerEvent = Type.Union([WsTurnChunk, WsError]);
export type WsServerEvent = Static<typeof WsServerEvent>;
