import { Type, type Static } from 'typebox';
import { ChatLimits, ChatMessage } from './chat.js';

/**
 * Gateway → llm-text (`Subjects.chat.start`): start a turn. The reply (`TurnStarted`) comes as soon
 * as the turn is accepted; the answer itself flows through JetStream on `Subjects.turn(turnId)`.
 * The turn's `start` chunk (seq 1) is stored in JetStream before the reply is sent, so that a
 * client polling or subscribing right after the reply never finds the turn unknown (404).
 */
export const StartTurn = Type.Object(
  {
    /** Chosen by the gateway, so it can subscribe before the first chunk is published. */
    turnId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
    model: Type.String({ minLength: 1, maxLength: 200 }),
    /**
     * `conversation`: `messages` is the user's new message; llm-text adds the stored history and
     * stores the exchange. `stateless` (the `/v1` API): `messages` is the whole context; nothing is stored.
     */
    mode: Type.Union([Type.Literal('conversation'), Type.Literal('stateless')]),
    conversationId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' })),
    messages: Type.Array(ChatMessage, { maxItems: ChatLimits.messagesPerRequest }),
    regenerate: Type.Optional(Type.Boolean()),
    maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  },
  { additionalProperties: false },
);
export type StartTurn = Static<typeof StartTurn>;

/** Reply of the turn's owner to `Subjects.chat.stop(turnId)`. */
export const StopTurnReply = Type.Object({ stopped: Type.Boolean() });
export type StopTurnReply = Static<typeof StopTurnReply>;

/** Requests of the conversation endpoints. */
export const ConversationRef = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }) }, { additionalProperties: false });
export type ConversationRef = Static<typeof ConversationRef>;
export const ConversationRename = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }), title: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type ConversationRename = Static<typeof ConversationRename>;

/** JetStream resources, created idempotently at start-up by the services that use them. */
export const JetStreamNames = {
  /** Chunks of every turn, one subject per turn; kept long enough for any page to catch up. */
  turnsStream: 'VOXGATE_TURNS',
  turnsMaxAgeMs: 60 * 60 * 1000,
  /** Stored exchanges, one subject per conversation; file storage, survives restarts. */
  historyStream: 'VOXGATE_HISTORY',
  /** Conversation summaries (title, model, times) for the sidebar. */
  conversationsBucket: 'voxgate-conversations',
  /** Uploaded images and voice messages, referred to by id. */
  attachmentsBucket: 'voxgate-attachments',
} as const;
